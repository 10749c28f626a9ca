/**
 * The programs an in-container probe runs. One `sh -c` dispatcher picks the first HTTP client
 * the container has — curl, python3 (FastAPI images), node (gateway image), wget (busybox
 * images) — and runs every request of the batch concurrently, each bounded
 * by its own timeout. Requests (and any secret header values) arrive in environment variables,
 * never on the command line. Output, one line per request:
 *   `@@GS {"i":0,"s":200,"ms":3.1,"b":"…"}`          (node, python3; "e"/"m" on failure)
 *   `@@GSB <i> <http status|000> <exit code> <seconds|-> <base64 body> <base64 stderr>`   (curl, wget)
 *   `@@GSX <message>`                                  (no client at all)
 */

/**
 * Client preference: curl starts in milliseconds and reports its own timing; python3 and node
 * take tens of milliseconds to start (seconds on a loaded host); busybox wget has no timing.
 * The official node:22-slim image has neither curl nor wget, so node stays in the list.
 */
export const DEFAULT_TOOLS = "curl python3 node wget";

/** Env var names shared by the host side and the scripts. */
export const ENV_REQUESTS = "GS_REQ";
export const ENV_TOOLS = "GS_TOOLS";
export const ENV_NODE = "GS_NODE";
export const ENV_PY = "GS_PY";

/** Request as the scripts read it from GS_REQ (JSON array). */
export interface ScriptRequest {
  /** URL */
  u: string;
  /** headers */
  h: Record<string, string>;
  /** timeout, ms */
  t: number;
}

export const NODE_PROGRAM = String.raw`(async () => {
  const reqs = JSON.parse(process.env.GS_REQ || "[]");
  const out = (o) => process.stdout.write("@@GS " + JSON.stringify(o) + "\n");
  const codeOf = (e) => {
    for (let x = e, d = 0; x && d < 4; x = x.cause, d++) {
      if (x.name === "TimeoutError" || x.name === "AbortError") return "TIMEOUT";
      if (typeof x.code === "string") return x.code;
    }
    return "ERROR";
  };
  await Promise.all(reqs.map(async (r, i) => {
    const t0 = performance.now();
    const ms = () => Math.round((performance.now() - t0) * 10) / 10;
    try {
      const res = await fetch(r.u, { headers: r.h, redirect: "manual", signal: AbortSignal.timeout(r.t) });
      const b = (await res.text()).slice(0, 65536);
      out({ i, s: res.status, ms: ms(), b });
    } catch (e) {
      out({ i, s: null, ms: ms(), e: codeOf(e), m: String((e && e.cause && e.cause.message) || (e && e.message) || e) });
    }
  }));
})();`;

export const PYTHON_PROGRAM = String.raw`import json, os, socket, sys, threading, time, urllib.error, urllib.request
reqs = json.loads(os.environ.get("GS_REQ", "[]"))
lock = threading.Lock()
done = set()
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
opener = urllib.request.build_opener(NoRedirect)
def out(o):
    with lock:
        if o["i"] in done:
            return
        done.add(o["i"])
        sys.stdout.write("@@GS " + json.dumps(o) + "\n")
        sys.stdout.flush()
def code_of(e):
    if isinstance(e, urllib.error.URLError) and not isinstance(e, urllib.error.HTTPError):
        e = e.reason
    if isinstance(e, ConnectionRefusedError):
        return "ECONNREFUSED"
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "TIMEOUT"
    if isinstance(e, socket.gaierror):
        return "ENOTFOUND"
    if isinstance(e, (ConnectionResetError, BrokenPipeError)):
        return "ECONNRESET"
    if isinstance(e, OSError) and e.errno in (113, 101):
        return "EHOSTUNREACH"
    return "ERROR"
def run(i, r):
    t0 = time.monotonic()
    ms = lambda: round((time.monotonic() - t0) * 1000, 1)
    try:
        with opener.open(urllib.request.Request(r["u"], headers=r["h"]), timeout=r["t"] / 1000) as resp:
            out({"i": i, "s": resp.status, "ms": ms(), "b": resp.read(65536).decode("utf-8", "replace")})
    except urllib.error.HTTPError as e:
        out({"i": i, "s": e.code, "ms": ms(), "b": e.read(65536).decode("utf-8", "replace")})
    except Exception as e:
        out({"i": i, "s": None, "ms": ms(), "e": code_of(e), "m": str(getattr(e, "reason", e))})
threads = [threading.Thread(target=run, args=(i, r), daemon=True) for i, r in enumerate(reqs)]
for th in threads:
    th.start()
deadline = time.monotonic() + max([r["t"] for r in reqs] + [0]) / 1000 + 0.2
for i, th in enumerate(threads):
    th.join(max(0, deadline - time.monotonic()))
for i, r in enumerate(reqs):
    out({"i": i, "s": None, "ms": r["t"], "e": "TIMEOUT", "m": "timed out"})
`;

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The curl/wget branch, generated per batch: URLs are quoted literals, header values are
 * referenced as "$GS_H<i>_<j>" env vars (see requestEnv) so secrets stay off the command line.
 */
function shellFallback(reqs: ScriptRequest[]): string {
  const curlLines: string[] = [];
  const wgetLines: string[] = [];
  reqs.forEach((r, i) => {
    const secs = Math.max(1, Math.ceil(r.t / 1000));
    const curlH = Object.keys(r.h)
      .map((_, j) => ` -H "$GS_H${i}_${j}"`)
      .join("");
    const wgetH = Object.keys(r.h)
      .map((_, j) => ` --header="$GS_H${i}_${j}"`)
      .join("");
    curlLines.push(
      `( out=$(curl -sS -o "$d/${i}" -w '%{http_code} %{time_total}' --max-time ${r.t / 1000}${curlH} ${shQuote(r.u)} 2>"$d/${i}.err"); echo "$? \${out:-000 -}" >"$d/${i}.rc" ) &`,
    );
    wgetLines.push(
      `( wget $wt -S -O "$d/${i}" -T ${secs}${wgetH} ${shQuote(r.u)} 2>"$d/${i}.err"; rc=$?; code=$(sed -n 's/.*HTTP\\/[0-9.]* \\([0-9][0-9][0-9]\\).*/\\1/p' "$d/${i}.err" | tail -n 1); echo "$rc \${code:-000} -" >"$d/${i}.rc" ) &`,
    );
  });
  const report = reqs
    .map(
      (_, i) =>
        `read rc code secs <"$d/${i}.rc" || { rc=99; code=000; secs=-; }; echo "@@GSB ${i} $code $rc $secs $(cat "$d/${i}" 2>/dev/null | head -c 65536 | base64 | tr -d '\\n') $(tail -n 3 "$d/${i}.err" 2>/dev/null | base64 | tr -d '\\n')"`,
    )
    .join("\n");
  return [
    `d=$(mktemp -d 2>/dev/null || { mkdir -p /tmp/gs.$$ && echo /tmp/gs.$$; })`,
    `if [ "$t" = curl ]; then`,
    ...curlLines,
    "else",
    // GNU wget retries 20 times by default; busybox wget has no -t and never retries.
    `wt=""; wget --version 2>/dev/null | grep -q GNU && wt="-t 1"`,
    ...wgetLines,
    "fi",
    "wait",
    report,
    `rm -rf "$d"`,
  ].join("\n");
}

/** The `sh -c` program for a batch. */
export function dispatcherScript(reqs: ScriptRequest[]): string {
  return [
    `t=""`,
    `for c in \${${ENV_TOOLS}:-${DEFAULT_TOOLS}}; do if command -v "$c" >/dev/null 2>&1; then t=$c; break; fi; done`,
    `case "$t" in`,
    `node) exec node -e "$${ENV_NODE}" ;;`,
    `python3) exec python3 -c "$${ENV_PY}" ;;`,
    `curl|wget)`,
    shellFallback(reqs),
    ";;",
    `*) echo "@@GSX no HTTP client (node, python3, curl or wget) in this container" ;;`,
    "esac",
  ].join("\n");
}

/** Environment for the exec: the programs, the requests, header values as GS_H<i>_<j>. */
export function requestEnv(reqs: ScriptRequest[], tools?: string): Record<string, string> {
  const env: Record<string, string> = {
    [ENV_REQUESTS]: JSON.stringify(reqs),
    [ENV_NODE]: NODE_PROGRAM,
    [ENV_PY]: PYTHON_PROGRAM,
  };
  if (tools) env[ENV_TOOLS] = tools;
  reqs.forEach((r, i) => {
    Object.entries(r.h).forEach(([name, value], j) => {
      env[`GS_H${i}_${j}`] = `${name}: ${value}`;
    });
  });
  return env;
}

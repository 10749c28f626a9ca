import { performance } from "node:perf_hooks";
import {
  addressOf,
  describeProbeError,
  formatSeconds,
  type ProbeError,
  type ProbeErrorCode,
  probeCodeFor,
} from "./errors.js";
import { round } from "./http.js";
import { dispatcherScript, requestEnv, type ScriptRequest } from "./in-container-script.js";

/**
 * HTTP requests made from INSIDE a container (Docker exec), for endpoints only the stack's
 * networks reach: Caddy's admin API (localhost in the caddy container), the gateway's status
 * and Admin API, each app replica directly, the addon tools. Requests for the same container
 * issued in the same tick are coalesced into ONE exec (one process start), run concurrently
 * inside it, each bounded by its own timeout.
 */

export interface InContainerRequest {
  url: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

export type InContainerOutcome =
  | { ok: true; status: number; body: string; ms: number }
  | { ok: false; error: ProbeError; ms: number };

/** What runs a command in a container: Docker exec in production, a local shell in tests. */
export interface ContainerExec {
  exec(
    containerId: string,
    cmd: string[],
    env: Record<string, string>,
    timeoutMs: number,
  ): Promise<{ stdout: string; stderr: string; timedOut: boolean }>;
}

interface Pending {
  req: InContainerRequest;
  resolve: (o: InContainerOutcome) => void;
}

export class InContainerHttp {
  private readonly queues = new Map<string, Pending[]>();

  /** @param tools override the client preference (tests: "curl", "wget", "python3", "node"). */
  constructor(
    private readonly runner: ContainerExec,
    private readonly tools?: string,
  ) {}

  get(containerId: string, req: InContainerRequest): Promise<InContainerOutcome> {
    return new Promise((resolve) => {
      let queue = this.queues.get(containerId);
      if (!queue) {
        queue = [];
        this.queues.set(containerId, queue);
        setImmediate(() => this.flush(containerId));
      }
      queue.push({ req, resolve });
    });
  }

  private async flush(containerId: string): Promise<void> {
    const batch = this.queues.get(containerId) ?? [];
    this.queues.delete(containerId);
    const results = await runBatch(
      this.runner,
      containerId,
      batch.map((p) => p.req),
      this.tools,
    );
    batch.forEach((p, i) => {
      p.resolve(results[i] ?? failure("other", p.req, "no result"));
    });
  }
}

/** Slack for the exec itself (process start in the container) on top of the slowest request. */
const EXEC_SLACK_MS = 1500;

export async function runBatch(
  runner: ContainerExec,
  containerId: string,
  reqs: InContainerRequest[],
  tools?: string,
): Promise<InContainerOutcome[]> {
  if (reqs.length === 0) return [];
  const scriptReqs: ScriptRequest[] = reqs.map((r) => ({ u: r.url, h: r.headers ?? {}, t: r.timeoutMs }));
  const started = performance.now();
  const limit = Math.max(...reqs.map((r) => r.timeoutMs)) + EXEC_SLACK_MS;
  let stdout = "";
  let stderr = "";
  let timedOut = false;
  try {
    ({ stdout, stderr, timedOut } = await runner.exec(
      containerId,
      ["sh", "-c", dispatcherScript(scriptReqs)],
      requestEnv(scriptReqs, tools),
      limit,
    ));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return reqs.map(() => ({
      ok: false,
      error: { code: "other", message: `could not run a probe in the container: ${message}` },
      ms: round(performance.now() - started),
    }));
  }
  const wall = round(performance.now() - started);
  const parsed = parseResultLines(stdout, reqs, wall);
  if (!timedOut) return fillMissing(parsed, reqs, wall, stderr);
  // Requests without a result line: the probe program itself did not finish in time (a busy
  // container or host starting processes slowly), which says nothing about the target.
  return parsed.map(
    (r) =>
      r ?? {
        ok: false,
        error: {
          code: "timeout",
          message: `the probe in the container did not finish within ${formatSeconds(limit)} (container or host too busy to start it)`,
        },
        ms: wall,
      },
  );
}

/** Parse the scripts' output lines (see in-container-script.ts) into one outcome per request. */
export function parseBatchOutput(
  stdout: string,
  reqs: InContainerRequest[],
  wallMs: number,
  stderr = "",
): InContainerOutcome[] {
  return fillMissing(parseResultLines(stdout, reqs, wallMs), reqs, wallMs, stderr);
}

/** Outcomes for the requests that printed a result line; undefined for the others. */
function parseResultLines(
  stdout: string,
  reqs: InContainerRequest[],
  wallMs: number,
): (InContainerOutcome | undefined)[] {
  const results: (InContainerOutcome | undefined)[] = reqs.map(() => undefined);
  for (const line of stdout.split("\n")) {
    if (line.startsWith("@@GSX ")) {
      return reqs.map((r) => failure("no-client", r, "", wallMs));
    }
    const parsed = line.startsWith("@@GS ")
      ? parseJsonLine(line.slice(5), reqs)
      : line.startsWith("@@GSB ")
        ? parseShellLine(line.slice(6), reqs, wallMs)
        : undefined;
    if (parsed && results[parsed.index] === undefined) results[parsed.index] = parsed.outcome;
  }
  return results;
}

/** A request without a result line while the program finished: it hit its own deadline. */
function fillMissing(
  results: (InContainerOutcome | undefined)[],
  reqs: InContainerRequest[],
  wallMs: number,
  stderr: string,
): InContainerOutcome[] {
  const why = stderr.trim().split("\n").slice(-1)[0] ?? "";
  return results.map((r, i) => r ?? failure("timeout", reqs[i]!, why, wallMs));
}

function parseJsonLine(
  text: string,
  reqs: InContainerRequest[],
): { index: number; outcome: InContainerOutcome } | undefined {
  let o: { i?: unknown; s?: unknown; ms?: unknown; b?: unknown; e?: unknown; m?: unknown };
  try {
    o = JSON.parse(text) as typeof o;
  } catch {
    return undefined;
  }
  if (typeof o.i !== "number" || !reqs[o.i]) return undefined;
  const ms = typeof o.ms === "number" ? o.ms : 0;
  if (typeof o.s === "number")
    return { index: o.i, outcome: { ok: true, status: o.s, body: typeof o.b === "string" ? o.b : "", ms } };
  const code = probeCodeFor(typeof o.e === "string" ? o.e : undefined);
  return { index: o.i, outcome: failure(code, reqs[o.i]!, typeof o.m === "string" ? o.m : "", ms) };
}

function parseShellLine(
  text: string,
  reqs: InContainerRequest[],
  wallMs: number,
): { index: number; outcome: InContainerOutcome } | undefined {
  const [idx, code, rc, secs, body64 = "", err64 = ""] = text.split(" ");
  const index = Number(idx);
  const req = reqs[index];
  if (!req) return undefined;
  const status = Number(code);
  const body = Buffer.from(body64, "base64").toString("utf8");
  const seconds = Number(secs);
  const ms = secs !== "-" && Number.isFinite(seconds) && seconds > 0 ? round(seconds * 1000) : wallMs;
  if (status >= 100) return { index, outcome: { ok: true, status, body, ms } };
  const errText = Buffer.from(err64, "base64").toString("utf8").trim();
  return { index, outcome: failure(shellErrorCode(Number(rc), errText), req, errText, ms) };
}

/** curl exit codes and wget (GNU and busybox) messages → ProbeErrorCode. */
function shellErrorCode(rc: number, errText: string): ProbeErrorCode {
  const t = errText.toLowerCase();
  if (rc === 7 || t.includes("connection refused")) return "refused";
  if (rc === 28 || t.includes("timed out") || t.includes("timeout")) return "timeout";
  if (
    rc === 6 ||
    t.includes("bad address") ||
    t.includes("unable to resolve") ||
    t.includes("name or service")
  )
    return "dns";
  if (rc === 56 || rc === 52 || t.includes("reset") || t.includes("no data received")) return "reset";
  if (t.includes("no route to host") || t.includes("unreachable")) return "unreachable";
  return "other";
}

function failure(code: ProbeErrorCode, req: InContainerRequest, raw: string, ms = 0): InContainerOutcome {
  const detail = code === "other" || code === "protocol" ? raw.replace(/\s+/g, " ").trim() : "";
  return {
    ok: false,
    error: { code, message: describeProbeError(code, addressOf(req.url), req.timeoutMs, detail) },
    ms,
  };
}

/**
 * Shared pieces of the bench scripts: child processes that announce readiness with one JSON
 * line, wrk runs with their numbers parsed, per-process CPU time and RSS from /proc.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** `--name value` from the command line, else `fallback`. */
export function opt(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
}

/** Exit with a message unless the gateway is built and wrk is installed. */
export function requireBuildAndWrk() {
  if (!existsSync(join(ROOT, "dist", "gateway", "server.js"))) {
    console.error("dist/ is missing: run `npm run build` first");
    process.exit(1);
  }
  if (spawnSync("wrk", ["--version"]).error) {
    console.error("wrk is not installed (apt-get install wrk)");
    process.exit(1);
  }
}

/**
 * Whether processes are pinned: the measured process gets CPU 0 to itself, the upstream and
 * wrk share CPU 1 (taskset), so the measured process is the bottleneck.
 */
export const PINNING = cpus().length >= 2 && !spawnSync("taskset", ["-c", "0", "true"]).error;

/** `[cmd, args]` run on `cpu` when pinning. */
export function pinned(cpu, cmd, cmdArgs) {
  return PINNING ? ["taskset", ["-c", String(cpu), cmd, ...cmdArgs]] : [cmd, cmdArgs];
}

/** A node process running the ES module `source` on `cpu`, with V8 `flags`. */
export function nodeChild(name, source, cpu, flags = []) {
  return startChild(
    name,
    ...pinned(cpu, process.execPath, [...flags, "--input-type=module", "-e", source]),
    ROOT,
  );
}

/** wrk's own prefix: CPU 1 when pinning. */
export const WRK_PREFIX = PINNING ? ["taskset", "-c", "1"] : [];

/** The upstream every proxy benchmark uses: a fixed 220-byte JSON answer, keep-alive. */
export const UPSTREAM_SOURCE = `
import { createServer } from "node:http";
const body = JSON.stringify({ ok: true, pad: "x".repeat(200) });
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
`;

/** Start `cmd args` (cwd `root`); resolve once it printed its first stdout line (JSON). */
export function startChild(name, cmd, args, root) {
  const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve({ name, child, info: JSON.parse(buf.slice(0, nl)) });
    });
    child.once("exit", (code) => reject(new Error(`${name} exited early (${code})`)));
  });
}

/** CPU time (user + system, seconds) a process has used so far (Linux /proc, 10 ms ticks). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process, MB. */
export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** The numbers of a wrk report. */
export function parseWrk(stdout) {
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]),
    requests: Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0),
    socketErrors: /Socket errors:.*/.exec(stdout)?.[0] ?? "",
    latency: /Latency\s+([\d.]+\w+)/.exec(stdout)?.[1] ?? "",
  };
}

/** Run wrk (optionally prefixed, e.g. with taskset) and measure `pid`'s CPU time meanwhile. */
export function wrkRun(prefix, wrkArgs, pid) {
  const before = cpuSeconds(pid);
  const [cmd, ...rest] = [...prefix, "wrk", ...wrkArgs];
  const r = spawnSync(cmd, rest, { encoding: "utf8" });
  const cpu = cpuSeconds(pid) - before;
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const parsed = parseWrk(r.stdout);
  return { ...parsed, cpuUsPerRequest: (cpu * 1e6) / Math.max(1, parsed.requests) };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Shared pieces of the bench scripts: child processes that announce readiness with one JSON
 * line, wrk runs with their numbers parsed, per-process CPU time and RSS from /proc.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

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

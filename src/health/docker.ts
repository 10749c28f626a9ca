import { PassThrough } from "node:stream";
import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import { listProjectContainers } from "../runtime/actual.js";
import { dockerError } from "../runtime/engine.js";
import type { ContainerFacts } from "./facts.js";
import type { ContainerExec } from "./probe/in-container.js";

/**
 * The Docker side of `stack health`: inspect the project's containers (found by their Compose
 * labels through the runtime's listProjectContainers), run probe programs in them (exec), and
 * read recent log lines (the gateway's access log for the trace).
 */

/** Inspect every container of the project, concurrently. */
export async function readProjectFacts(docker: Dockerode, project: string): Promise<ContainerFacts[]> {
  const containers = await listProjectContainers(docker, project);
  return Promise.all(
    containers.map(async (c) => {
      try {
        return factsFromInspect(await docker.getContainer(c.id).inspect(), project, c.service, c.number);
      } catch (err) {
        throw dockerError(`inspecting ${c.name}`, err);
      }
    }),
  );
}

export function factsFromInspect(
  info: Dockerode.ContainerInspectInfo,
  project: string,
  service: string,
  number: number,
): ContainerFacts {
  const state = info.State;
  const health = state.Health?.Status;
  const lastLog = state.Health?.Log?.slice(-1)[0];
  const networks: Record<string, string> = {};
  for (const [name, net] of Object.entries(info.NetworkSettings?.Networks ?? {})) {
    const short = name.startsWith(`${project}_`) ? name.slice(project.length + 1) : name;
    networks[short] = net.IPAddress ?? "";
  }
  const facts: ContainerFacts = {
    id: info.Id,
    name: info.Name.replace(/^\//, ""),
    service,
    number,
    state: state.Status,
    running: state.Running && !state.Restarting && !state.Paused,
    restartCount: info.RestartCount ?? 0,
    oomKilled: state.OOMKilled,
    exitCode: state.ExitCode,
    restartPolicy: info.HostConfig?.RestartPolicy?.Name ?? "no",
    startedAt: parseDockerDate(state.StartedAt),
    finishedAt: parseDockerDate(state.FinishedAt),
    networks,
    image: info.Config?.Image ?? "",
  };
  if (health === "healthy" || health === "unhealthy" || health === "starting") facts.health = health;
  if (health === "unhealthy" && lastLog?.Output) facts.healthLog = oneLine(lastLog.Output);
  return facts;
}

function parseDockerDate(s: string | undefined): Date | null {
  if (!s || s.startsWith("0001-")) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > 160 ? `${t.slice(0, 157)}…` : t;
}

/** ContainerExec over `docker exec`: stdout/stderr demultiplexed, bounded by `timeoutMs`. */
export function dockerExec(docker: Dockerode): ContainerExec {
  return {
    async exec(containerId, cmd, env, timeoutMs) {
      const exec = await docker.getContainer(containerId).exec({
        Cmd: cmd,
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await exec.start({ hijack: true, stdin: false });
      const out = new PassThrough();
      const err = new PassThrough();
      let stdout = "";
      let stderr = "";
      out.on("data", (c: Buffer) => {
        stdout += c.toString("utf8");
      });
      err.on("data", (c: Buffer) => {
        stderr += c.toString("utf8");
      });
      docker.modem.demuxStream(stream, out, err);
      return new Promise((resolve) => {
        const done = (timedOut: boolean): void => {
          clearTimeout(timer);
          stream.destroy();
          resolve({ stdout, stderr, timedOut });
        };
        const timer = setTimeout(() => done(true), timeoutMs);
        stream.on("end", () => done(false));
        stream.on("close", () => done(false));
        stream.on("error", () => done(false));
      });
    },
  };
}

/** Log lines (stdout and stderr) a container wrote since `since`. */
export async function readLogLines(docker: Dockerode, containerId: string, since: Date): Promise<string[]> {
  const raw = (await docker.getContainer(containerId).logs({
    stdout: true,
    stderr: true,
    follow: false,
    since: Math.floor(since.getTime() / 1000) - 1,
  })) as unknown as Buffer;
  return demuxLogBuffer(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)))
    .split("\n")
    .filter((l) => l.length > 0);
}

/** Docker's multiplexed log format: 8-byte frame headers (stream, 0, 0, 0, size BE32). TTY logs are raw. */
export function demuxLogBuffer(buf: Buffer): string {
  const first = buf[0];
  const looksFramed =
    buf.length >= 8 && (first === 0 || first === 1 || first === 2) && buf[1] === 0 && buf[2] === 0;
  if (!looksFramed) return buf.toString("utf8");
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buf.length) {
    const size = buf.readUInt32BE(offset + 4);
    parts.push(buf.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
}

/** The stack is not running: no container of the project, or none of them running. */
export function notRunningError(project: string, facts: ContainerFacts[]): GatestackError {
  if (facts.length === 0) {
    return new GatestackError("E_STACK_NOT_RUNNING", `stack "${project}" is not running (no containers)`, {
      exitCode: 2,
      hint: "start it with `stack up` in the stack folder (or pass --dir)",
    });
  }
  const states = [...new Set(facts.map((f) => f.state))].join(", ");
  return new GatestackError(
    "E_STACK_NOT_RUNNING",
    `stack "${project}" is not running (${facts.length} container${facts.length === 1 ? "" : "s"}, all ${states})`,
    { exitCode: 2, hint: "start it with `stack up`; see why it stopped with `stack logs`" },
  );
}

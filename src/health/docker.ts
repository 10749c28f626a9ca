import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import { listProjectContainers } from "../runtime/actual.js";
import { dockerError } from "../runtime/engine.js";
import { demuxToText, readAttachedOutput } from "../runtime/log-frames.js";
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
      return readAttachedOutput(stream, timeoutMs);
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
  return demuxToText(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)))
    .split("\n")
    .filter((l) => l.length > 0);
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

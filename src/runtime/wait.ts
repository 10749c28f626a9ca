/**
 * Waiting for containers to reach a state (running, healthy, exited 0), failing early and clearly
 * when they cannot: exited, unhealthy, crash-looping, deadline passed, interrupted.
 */
import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import { isOneShotPolicy } from "./dependencies.js";
import { dockerError } from "./engine.js";
import { demuxToText } from "./log-frames.js";

export type WaitGoal = "running" | "healthy" | "completed";

export interface WaitOptions {
  /** Epoch ms after which waiting fails with E_TIMEOUT. */
  deadline: number;
  signal?: AbortSignal;
  /** Called when the observed state changes (e.g. "health: starting"). */
  onState?: (state: string) => void;
  pollMs?: number;
  /**
   * For "healthy": a container without a healthcheck counts as ready once it has been running for
   * `settleMs` (so a process that crashes on start-up fails the wait instead of passing it).
   */
  allowNoHealthcheck?: boolean;
  /** How long a container without a healthcheck must have been running to count as ready (ms). */
  settleMs?: number;
  /** For "healthy"/"running": a one-shot container (no restart policy) that exited 0 counts as done. */
  acceptCompleted?: boolean;
  /**
   * For "healthy": while the engine still says "starting", run this (the container's own healthcheck,
   * see health-probe.ts); true counts as healthy without waiting for the engine's next scheduled check.
   */
  probe?: () => Promise<boolean>;
}

export function interrupted(): GatestackError {
  return new GatestackError("E_INTERRUPTED", "interrupted", { exitCode: 130 });
}

/**
 * A container with no healthcheck is "ready" only once it has stayed up this long: long enough for an
 * interpreter to fail on a missing setting, short enough not to slow `up` (replicas settle in parallel,
 * and a container that has been up for a while counts at once).
 */
export const NO_HEALTHCHECK_SETTLE_MS = 1500;

/** How long the container has been running, by the engine's StartedAt and by our own first sight of it. */
function uptimeMs(startedAt: string | undefined, firstSeenRunning: number, now: number): number {
  const started = startedAt ? Date.parse(startedAt) : Number.NaN;
  const byEngine = Number.isFinite(started) ? now - started : 0;
  // The larger of the two: a skewed engine clock can delay readiness by at most settleMs.
  return Math.max(byEngine, now - firstSeenRunning);
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** Last lines of a container's output, for failure messages. */
export async function logTail(docker: Dockerode, id: string, lines = 15): Promise<string[]> {
  try {
    const buf = (await docker
      .getContainer(id)
      .logs({ stdout: true, stderr: true, tail: lines, follow: false })) as Buffer;
    return demuxToText(buf)
      .split("\n")
      .filter((l) => l.trim() !== "")
      .slice(-lines);
  } catch {
    return [];
  }
}

/** Waits until the container reaches `goal`; throws E_TIMEOUT, E_DOCKER (with its log tail) or E_INTERRUPTED. */
export async function waitForContainer(
  docker: Dockerode,
  id: string,
  name: string,
  goal: WaitGoal,
  opts: WaitOptions,
): Promise<string> {
  const pollMs = opts.pollMs ?? 250;
  let last = "";
  let firstRestartCount: number | undefined;
  let firstSeenRunning: number | undefined;
  const settleMs = opts.settleMs ?? NO_HEALTHCHECK_SETTLE_MS;
  for (;;) {
    if (opts.signal?.aborted) throw interrupted();
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await docker.getContainer(id).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) {
        throw new GatestackError(
          "E_DOCKER",
          `${name} disappeared while waiting for it (removed by someone else?)`,
        );
      }
      throw dockerError(`inspecting ${name}`, err);
    }
    const st = info.State;
    const health = st.Health?.Status;
    const described = health
      ? `${st.Status} (${health === "starting" ? "health: starting" : health})`
      : st.Status;
    if (described !== last) {
      last = described;
      opts.onState?.(described);
    }
    firstRestartCount ??= info.RestartCount;
    const fail = async (why: string, extra: string[] = []) => {
      const tail = await logTail(docker, id);
      const lines = [...extra, ...tail];
      return new GatestackError("E_DOCKER", `${name} ${why}`, {
        hint: `see \`stack logs\` for the whole output${lines.length ? `; last lines:\n    ${lines.join("\n    ")}` : ""}`,
        data: { container: name, state: st.Status, exitCode: st.ExitCode, health, log: lines },
      });
    };
    if (goal === "completed") {
      if (st.Status === "exited" || st.Status === "dead") {
        if (st.ExitCode === 0) return "completed";
        throw await fail(`exited with code ${st.ExitCode}`);
      }
    } else {
      if (st.Status === "exited" || st.Status === "dead") {
        if (opts.acceptCompleted && isOneShotPolicy(info.HostConfig.RestartPolicy?.Name) && st.ExitCode === 0)
          return "completed";
        throw await fail(
          st.OOMKilled ? "was killed: out of memory (OOM)" : `exited with code ${st.ExitCode}`,
        );
      }
      if (info.RestartCount - firstRestartCount >= 3)
        throw await fail(`keeps restarting (${info.RestartCount} restarts)`);
      if (st.Status === "running") {
        firstSeenRunning ??= Date.now();
        if (goal === "running") return "running";
        if (health === "healthy") return "healthy";
        if (health === "unhealthy") {
          const probe = st.Health?.Log?.at(-1)?.Output?.trim();
          throw await fail(
            "is unhealthy",
            probe ? [`healthcheck: ${probe.split("\n").slice(-3).join(" / ")}`] : [],
          );
        }
        if (!health) {
          if (opts.allowNoHealthcheck) {
            if (uptimeMs(st.StartedAt, firstSeenRunning, Date.now()) >= settleMs) return "running";
          } else {
            throw new GatestackError(
              "E_DOCKER",
              `${name} has no healthcheck, but a dependency asks for service_healthy`,
              { hint: "add a healthcheck to the service or use condition: service_started" },
            );
          }
        }
        if (health === "starting" && opts.probe && (await opts.probe())) return "healthy";
      }
    }
    if (Date.now() > opts.deadline) {
      throw new GatestackError("E_TIMEOUT", `${name} is not ${goal} yet (${described}) after the timeout`, {
        hint: "raise --timeout, or look at `stack logs` and `stack ps` to see why it is slow",
        data: { container: name, state: described },
      });
    }
    await sleep(pollMs, opts.signal);
  }
}

import { performance } from "node:perf_hooks";
import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import { connectDocker, ensureEngine } from "../runtime/engine.js";
import type { LoadedStack } from "../stack/load.js";
import { aggregate } from "./aggregate.js";
import { addonChecks } from "./checks/addons.js";
import { containerChecks } from "./checks/containers.js";
import type { LayerOutcome, ProbeContext } from "./checks/context.js";
import { edgeChecks } from "./checks/edge.js";
import { gatewayChecks } from "./checks/gateway.js";
import { serviceChecks } from "./checks/services.js";
import { traceCheck } from "./checks/trace.js";
import { dockerExec, notRunningError, readLogLines, readProjectFacts } from "./docker.js";
import { round } from "./probe/http.js";
import { InContainerHttp } from "./probe/in-container.js";
import { HEALTH_SCHEMA_VERSION, type HealthReport } from "./report.js";
import { healthTargets } from "./targets.js";

export interface HealthOptions {
  /** Bound of every single probe, ms. */
  timeoutMs: number;
  /** Engine connection (default: DOCKER_HOST or the local socket). */
  docker?: Dockerode;
}

/** Default probe timeout (`--timeout`), ms. */
export const DEFAULT_TIMEOUT_MS = 2000;

/**
 * Produce the health report of a running stack: inspect its containers, then run every
 * layer's probes concurrently (each bounded by `timeoutMs`), then aggregate.
 * Throws E_DOCKER_UNREACHABLE / E_STACK_NOT_RUNNING (exit 2) when there is nothing to probe.
 */
export async function runHealth(loaded: LoadedStack, opts: HealthOptions): Promise<HealthReport> {
  const started = performance.now();
  const generatedAt = new Date();
  const docker = opts.docker ?? connectDocker();
  const project = loaded.config.name;
  await ensureEngine(docker, Math.max(opts.timeoutMs, 1000)).catch((err: unknown) => {
    throw asDown(err);
  });
  const [facts, targets] = await Promise.all([readProjectFacts(docker, project), healthTargets(loaded)]);
  const inspectMs = round(performance.now() - started);
  if (!facts.some((f) => f.running)) throw notRunningError(project, facts);

  const ctx: ProbeContext = {
    targets,
    facts,
    timeoutMs: opts.timeoutMs,
    inContainer: new InContainerHttp(dockerExec(docker)),
    readLogs: (id, since) => readLogLines(docker, id, since),
    now: generatedAt,
  };
  const [edge, gateway, services, addons, trace] = await Promise.all([
    edgeChecks(ctx),
    gatewayChecks(ctx),
    serviceChecks(ctx),
    addonChecks(ctx),
    traceCheck(ctx),
  ]);
  const outcomes: LayerOutcome[] = [
    containerChecks(targets, facts, inspectMs, generatedAt),
    edge,
    gateway,
    services,
  ];
  if (addons) outcomes.push(addons);
  outcomes.push(trace);
  const { layers, status, exitCode } = aggregate(outcomes);
  return {
    schemaVersion: HEALTH_SCHEMA_VERSION,
    stack: project,
    status,
    exitCode,
    generatedAt: generatedAt.toISOString(),
    durationMs: round(performance.now() - started),
    layers,
    trace: trace.trace,
  };
}

/** Docker unreachable means nothing can be served as far as we can tell: exit 2 like "down". */
function asDown(err: unknown): unknown {
  if (!(err instanceof GatestackError) || err.exitCode === 2) return err;
  return new GatestackError(err.code, err.message, {
    exitCode: 2,
    ...(err.place ? { place: err.place } : {}),
    ...(err.hint ? { hint: err.hint } : {}),
    ...(err.data ? { data: err.data } : {}),
    cause: err,
  });
}

/**
 * Waiting for a Swarm stack to converge after `docker stack deploy`: every service has as many tasks
 * running as it asks for (replicated: its replica count; global: one per eligible node), each running
 * the service's current task spec (a task of the spec before an update does not count), healthy (a
 * task with a healthcheck turns `running` only once healthy), and no update still going on. A service
 * whose update rolled back or paused, or whose new tasks keep failing, fails the deploy with the
 * engine's own message.
 */
import { isDeepStrictEqual } from "node:util";
import type Docker from "dockerode";
import { GatestackError } from "../../errors.js";
import type { Reporter, Task } from "../progress.js";
import { interrupted } from "../wait.js";
import {
  type SwarmNodeInfo,
  type SwarmServiceInfo,
  type SwarmTaskInfo,
  shortServiceName,
  stackServices,
  stackTasks,
  swarmNodes,
} from "./resources.js";

export interface ServiceConvergence {
  service: string;
  desired: number;
  /** tasks running the current spec */
  running: number;
  /** other tasks that should be running: starting, preparing, of an older spec */
  pending: number;
  /** tasks of the current spec that failed since the wait began */
  failed: number;
  lastError: string | null;
  updateState: string | null;
  converged: boolean;
  /** why the deploy cannot converge, when it cannot */
  failure: string | null;
}

const FAILED_STATES = new Set(["failed", "rejected"]);
/** New tasks of one service failing this often without one running: the deploy fails. */
const MAX_FAILURES = 3;

/** Does a node satisfy a placement constraint (`node.role == manager`, `node.hostname != n2`, `node.id == …`)? */
function satisfies(node: SwarmNodeInfo, constraint: string): boolean {
  const m = /^\s*node\.(role|hostname|id)\s*(==|!=)\s*(\S+)\s*$/.exec(constraint);
  if (m === null) return true; // labels and the like: not evaluated here (the engine does)
  const actual =
    m[1] === "role" ? node.Spec?.Role : m[1] === "hostname" ? node.Description?.Hostname : node.ID;
  return m[2] === "==" ? actual === m[3] : actual !== m[3];
}

function desiredTasks(service: SwarmServiceInfo, nodes: readonly SwarmNodeInfo[]): number {
  const mode = service.Spec.Mode;
  if (mode?.Global !== undefined) {
    const constraints = service.Spec.TaskTemplate?.Placement?.Constraints ?? [];
    return nodes.filter(
      (n) =>
        n.Status?.State === "ready" &&
        n.Spec?.Availability === "active" &&
        constraints.every((c) => satisfies(n, c)),
    ).length;
  }
  return mode?.Replicated?.Replicas ?? 1;
}

/** Where one service stands (pure: the objects as the Engine API returned them). */
export function serviceConvergence(
  stack: string,
  service: SwarmServiceInfo,
  tasks: readonly SwarmTaskInfo[],
  nodes: readonly SwarmNodeInfo[],
  since: number,
): ServiceConvergence {
  const spec = service.Spec.TaskTemplate?.ContainerSpec;
  const own = tasks.filter((t) => t.ServiceID === service.ID);
  const current = (t: SwarmTaskInfo) => isDeepStrictEqual(t.Spec?.ContainerSpec, spec);
  let running = 0;
  let pending = 0;
  let failed = 0;
  let lastError: string | null = null;
  let lastErrorAt = 0;
  for (const t of own) {
    const state = t.Status?.State ?? "";
    if (t.DesiredState === "running" && state === "running" && current(t)) running++;
    else if (t.DesiredState === "running") pending++;
    if (FAILED_STATES.has(state) && current(t)) {
      const at = Date.parse(t.Status?.Timestamp ?? t.CreatedAt ?? "") || 0;
      if (at >= since) failed++;
      if (at >= lastErrorAt) {
        lastErrorAt = at;
        lastError = t.Status?.Err ?? t.Status?.Message ?? state;
      }
    }
  }
  const desired = desiredTasks(service, nodes);
  const updateState = service.UpdateStatus?.State ?? null;
  const name = shortServiceName(stack, service.Spec.Name);
  let failure: string | null = null;
  if (
    updateState === "rollback_started" ||
    updateState === "rollback_completed" ||
    updateState === "rollback_paused"
  ) {
    failure = `${name}: the update was rolled back${service.UpdateStatus?.Message ? ` (${service.UpdateStatus.Message})` : ""}`;
  } else if (updateState === "paused") {
    failure = `${name}: the update paused${service.UpdateStatus?.Message ? ` (${service.UpdateStatus.Message})` : ""}`;
  } else if (failed >= MAX_FAILURES && running < desired) {
    failure = `${name}: ${failed} tasks failed to start${lastError ? ` (last: ${lastError})` : ""}`;
  }
  const updating = updateState === "updating" || updateState === "rollback_started";
  return {
    service: name,
    desired,
    running,
    pending,
    failed,
    lastError,
    updateState,
    converged: failure === null && !updating && running >= desired && pending === 0,
    failure,
  };
}

export interface ConvergeOptions {
  reporter: Reporter;
  timeoutMs: number;
  signal?: AbortSignal;
  pollMs?: number;
}

/** Polls until every service of the stack converged; throws E_DEPLOY_FAILED or E_TIMEOUT otherwise. */
export async function waitForStack(
  docker: Docker,
  stack: string,
  opts: ConvergeOptions,
): Promise<ServiceConvergence[]> {
  const since = Date.now() - 1000;
  const deadline = Date.now() + opts.timeoutMs;
  const tasks = new Map<string, Task>();
  const doneOnce = new Set<string>();
  for (;;) {
    if (opts.signal?.aborted) throw interrupted();
    const [services, allTasks, nodes] = await Promise.all([
      stackServices(docker, stack),
      stackTasks(docker, stack),
      swarmNodes(docker),
    ]);
    const states = services.map((s) => serviceConvergence(stack, s, allTasks, nodes, since));
    for (const st of states) {
      let task = tasks.get(st.service);
      if (!task) {
        task = opts.reporter.task(`service:${st.service}`, `Service ${st.service}`);
        tasks.set(st.service, task);
      }
      const detail = `${st.running}/${st.desired} running${st.updateState === "updating" ? ", updating" : ""}${
        st.lastError ? ` (${st.lastError})` : ""
      }`;
      if (st.failure !== null) task.fail(st.failure);
      else if (st.converged) {
        if (!doneOnce.has(st.service)) task.done(`${st.running}/${st.desired} running`);
        doneOnce.add(st.service);
      } else {
        doneOnce.delete(st.service);
        task.running(detail);
      }
    }
    const failures = states.filter((s) => s.failure !== null);
    if (failures.length > 0) {
      throw new GatestackError("E_DEPLOY_FAILED", failures.map((f) => f.failure).join("; "), {
        hint: "`stack ps` shows every task and its error; `stack logs SERVICE` its output",
        data: { services: states },
      });
    }
    if (states.length > 0 && states.every((s) => s.converged)) return states;
    if (Date.now() >= deadline) {
      const waiting = states.filter((s) => !s.converged);
      throw new GatestackError(
        "E_TIMEOUT",
        `the stack did not converge within ${Math.round(opts.timeoutMs / 1000)} s: ${waiting
          .map((s) => `${s.service} ${s.running}/${s.desired}${s.lastError ? ` (${s.lastError})` : ""}`)
          .join(", ")}`,
        {
          hint: "`stack ps` shows every task; raise --wait-timeout for slow image pulls",
          data: { services: states },
        },
      );
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
}

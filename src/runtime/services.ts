/**
 * `stack stop|start|restart [SERVICE…]`: the lifecycle of existing containers, as `docker compose
 * stop|start|restart` does it. Nothing is created or removed (that is `stack up` / `stack down`).
 *  - stop: the services named (all when none), dependants before what they depend on;
 *  - start: the services named and what they depend on, dependencies first, each once its
 *    dependencies meet their `depends_on` condition; a service with no container is an error;
 *  - restart: the services named and those depending on them with `restart: true` (not with
 *    `noDeps`), dependencies first.
 */
import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import { type ActualContainer, listProjectContainers } from "./actual.js";
import type { ComposeProject } from "./compose/project.js";
import {
  dependencyGoal,
  finalWaitGoal,
  startOrder,
  withDependencies,
  withRestartDependents,
} from "./dependencies.js";
import { dockerError } from "./engine.js";
import type { Reporter } from "./progress.js";
import { waitForContainer } from "./wait.js";

export type ServiceAction = "stop" | "start" | "restart";

export interface ServiceActionOptions {
  reporter: Reporter;
  /** Services named on the command line (empty: all). */
  services: string[];
  /** stop/restart: seconds to wait for a graceful stop before killing (Compose's --timeout); default the container's own. */
  timeoutSeconds?: number;
  /** restart: not the dependants with `restart: true` (Compose's --no-deps). */
  noDeps?: boolean;
  /** start/restart: then wait until each container is healthy or running (Compose's --wait). */
  wait?: boolean;
  /** Bound on the dependency and --wait waits (Compose's --wait-timeout), default 180 s. */
  waitTimeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface ServiceContainerOutcome {
  service: string;
  container: string;
  id: string;
  /** What was done: stopped, started, restarted, or already (in the state asked for). */
  result: "stopped" | "started" | "restarted" | "already";
  /** After --wait: the state waited for (healthy, running, completed). */
  state?: string;
}

export interface ServiceActionResult {
  project: string;
  action: ServiceAction;
  /** The services acted on, in the order they were. */
  services: string[];
  containers: ServiceContainerOutcome[];
}

const RUNNING = new Set(["running", "restarting", "paused"]);

const ignore =
  (...codes: number[]) =>
  (err: unknown) => {
    if (!codes.includes((err as { statusCode?: number }).statusCode ?? 0)) throw err;
  };

/** The services an action covers, in the order it handles them. */
export function actionOrder(
  project: ComposeProject,
  action: ServiceAction,
  names: string[],
  noDeps = false,
): string[] {
  const order = startOrder(project);
  if (action === "stop") {
    const chosen = names.length ? names : order;
    return [...order].reverse().filter((s) => chosen.includes(s));
  }
  const chosen =
    action === "start"
      ? withDependencies(project, names)
      : noDeps && names.length
        ? names
        : withRestartDependents(project, names);
  return order.filter((s) => chosen.includes(s));
}

export async function serviceAction(
  docker: Dockerode,
  project: ComposeProject,
  action: ServiceAction,
  opts: ServiceActionOptions,
): Promise<ServiceActionResult> {
  const services = actionOrder(project, action, opts.services, opts.noDeps);
  const all = await listProjectContainers(docker, project.name);
  const of = (service: string) => all.filter((c) => c.service === service);
  const result: ServiceActionResult = { project: project.name, action, services, containers: [] };
  const deadline = Date.now() + (opts.waitTimeoutSeconds ?? 180) * 1000;
  const stopOpts = opts.timeoutSeconds === undefined ? {} : { t: opts.timeoutSeconds };

  if (action === "start") {
    const missing = services.filter((s) => of(s).length === 0);
    if (missing.length > 0) {
      throw new GatestackError(
        "E_STACK_NOT_RUNNING",
        `service${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ha${missing.length > 1 ? "ve" : "s"} no container to start`,
        { hint: "`stack up` creates the containers (`stack up SERVICE…` for only some)" },
      );
    }
  }
  // Containers of services no compose file defines any more: stopped too by a plain `stop`.
  const strays =
    action === "stop" && opts.services.length === 0 ? all.filter((c) => !project.services[c.service]) : [];
  for (const group of [...(strays.length ? [strays] : []), ...services.map(of)]) {
    if (opts.signal?.aborted) break;
    const service = group[0]?.service;
    if (!service) continue;
    if (action !== "stop") await waitForDependencies(docker, project, service, services, all, deadline, opts);
    const outcomes = await Promise.all(group.map((c) => act(docker, c, action, stopOpts, opts.reporter)));
    result.containers.push(...outcomes);
  }
  if (action !== "stop" && opts.wait) {
    for (const o of result.containers) {
      const goal = finalWaitGoal(project, o.service) === "completed" ? "completed" : "healthy";
      o.state = await waitForContainer(docker, o.id, o.container, goal, {
        deadline,
        ...(opts.signal ? { signal: opts.signal } : {}),
        allowNoHealthcheck: true,
        acceptCompleted: true,
      });
    }
  }
  return result;
}

/** Before starting `service`: each dependency handled in this run meets its `depends_on` condition. */
async function waitForDependencies(
  docker: Dockerode,
  project: ComposeProject,
  service: string,
  handled: string[],
  all: ActualContainer[],
  deadline: number,
  opts: ServiceActionOptions,
): Promise<void> {
  for (const [dep, cfg] of Object.entries(project.services[service]?.dependsOn ?? {})) {
    if (!handled.includes(dep)) continue;
    const goal = dependencyGoal(cfg.condition);
    for (const c of all.filter((x) => x.service === dep)) {
      await waitForContainer(docker, c.id, c.name, goal, {
        deadline,
        ...(opts.signal ? { signal: opts.signal } : {}),
        allowNoHealthcheck: true,
        acceptCompleted: goal !== "completed",
      });
    }
  }
}

async function act(
  docker: Dockerode,
  c: ActualContainer,
  action: ServiceAction,
  stopOpts: { t?: number },
  reporter: Reporter,
): Promise<ServiceContainerOutcome> {
  const task = reporter.task(`container:${c.name}`, `Container ${c.name}`);
  const ref = docker.getContainer(c.id);
  const outcome = (result: ServiceContainerOutcome["result"]): ServiceContainerOutcome => ({
    service: c.service,
    container: c.name,
    id: c.id,
    result,
  });
  try {
    if (action === "stop") {
      if (!RUNNING.has(c.state)) {
        task.done("already stopped");
        return outcome("already");
      }
      task.running("stopping");
      await ref.stop(stopOpts).catch(ignore(304));
      task.done("stopped");
      return outcome("stopped");
    }
    if (action === "start") {
      if (c.state === "running") {
        task.done("already running");
        return outcome("already");
      }
      task.running("starting");
      if (c.state === "paused") await ref.unpause();
      else await ref.start().catch(ignore(304));
      task.done("started");
      return outcome("started");
    }
    task.running("restarting");
    await ref.restart(stopOpts);
    task.done("restarted");
    return outcome("restarted");
  } catch (err) {
    task.fail();
    throw dockerError(
      `${action === "stop" ? "stopping" : action === "start" ? "starting" : "restarting"} ${c.name}`,
      err,
    );
  }
}

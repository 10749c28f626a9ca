/**
 * The executor of `stack up`: makes the engine match a Compose project. Networks and volumes first,
 * then images, then each service once its dependencies meet their `depends_on` condition: removes
 * (scale down), recreates (changed config, mounted config files or image), creates (missing
 * replicas), starts (stopped ones, exited one-shot jobs included: they run again, as in Compose),
 * keeps the rest untouched. A `service_completed_successfully` dependency is waited for to its exit
 * (non-zero: `up` fails naming it, its dependants are not started). Finally waits for every container
 * to be healthy (or running, without a healthcheck; a job others wait for: completed).
 *
 * Interrupted (signal aborted): stops issuing changes, removes the containers it created but did not
 * start yet, and throws E_INTERRUPTED. Everything it creates carries the project labels from the
 * first API call, so nothing is ever left unlabelled.
 */
import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import { type ActualContainer, listProjectContainers } from "./actual.js";
import type { ComposeProject, ServiceConfig } from "./compose/project.js";
import { type ContainerIdentity, containerName, containerSpec, type EngineInfo } from "./container-spec.js";
import {
  awaitingCompletion,
  dependencyGoal,
  finalWaitGoal,
  scopeProject,
  startOrder,
  withDependencies,
} from "./dependencies.js";
import { dockerError } from "./engine.js";
import { mountedConfigHash, serviceConfigHash } from "./hash.js";
import { execProbe, probeCommand } from "./health-probe.js";
import { ensureImages } from "./images.js";
import { type Action, type DesiredService, planService, summarize } from "./plan.js";
import type { Reporter, Task } from "./progress.js";
import { ensureNetworks, ensureVolumes } from "./resources.js";
import { interrupted, waitForContainer } from "./wait.js";

export interface ConvergeOptions {
  reporter: Reporter;
  signal?: AbortSignal;
  /** Rebuild locally built images even when present. */
  build?: boolean;
  forceRecreate?: boolean;
  /** Remove containers of services no longer defined in the compose files. */
  removeOrphans?: boolean;
  /** Wait for healthy/running after starting (default true). */
  wait?: boolean;
  /** Bound on waiting for dependencies and health, from the moment images are ready (default 180 s). */
  timeoutMs?: number;
  /**
   * Only these services and what they depend on (`up SERVICE…`); the others are left as they are
   * (and are no orphans). Default: every enabled service.
   */
  services?: string[];
  /** Seconds a container being replaced gets to stop (`up --timeout`); default its stop_grace_period, else 10. */
  stopTimeoutSeconds?: number;
  packageRoot?: string;
}

export interface ContainerOutcome {
  service: string;
  number: number;
  name: string;
  id: string;
  action: Action["kind"];
  reason?: string;
  /** Final observed state when waited for (healthy, running, …). */
  state?: string;
}

export interface ConvergeResult {
  project: string;
  containers: ContainerOutcome[];
  removed: ContainerOutcome[];
  summary: Record<Action["kind"], number>;
  orphans: string[];
}

export async function converge(
  docker: Dockerode,
  project: ComposeProject,
  opts: ConvergeOptions,
): Promise<ConvergeResult> {
  const scoped = opts.services?.length
    ? scopeProject(project, withDependencies(project, opts.services))
    : project;
  const run = new Run(docker, scoped, opts, project);
  try {
    return await run.execute();
  } catch (err) {
    // Whatever an interrupted step reported (an aborted build or pull, a cut stream), the cause is Ctrl-C.
    if (opts.signal?.aborted) throw interrupted();
    throw err;
  } finally {
    await run.cleanupHalfCreated();
  }
}

class Run {
  private readonly halfCreated = new Map<string, string>();
  private readonly internal = new AbortController();
  private readonly started = new Map<string, Deferred<ContainerOutcome[]>>();
  private readonly waits = new Map<string, Promise<void>>();
  /** Per one-shot service: its run to completion, awaited once however many services depend on it. */
  private readonly completions = new Map<string, Promise<void>>();
  /** Optional dependencies (`required: false`) that failed: warned about, not waited for again. */
  private readonly tolerated = new Set<string>();
  private readonly outcomes: ContainerOutcome[] = [];
  private readonly removed: ContainerOutcome[] = [];
  private readonly tasks = new Map<string, Task>();
  private deadline = Number.POSITIVE_INFINITY;
  private desired = new Map<string, DesiredService>();
  private engine: EngineInfo = {};

  constructor(
    private readonly docker: Dockerode,
    private readonly project: ComposeProject,
    private readonly opts: ConvergeOptions,
    /** The whole project (orphans are containers of services it does not define). */
    private readonly whole: ComposeProject = project,
  ) {
    opts.signal?.addEventListener("abort", () => this.internal.abort(), { once: true });
    if (opts.signal?.aborted) this.internal.abort();
  }

  private get signal(): AbortSignal {
    return this.internal.signal;
  }

  /**
   * A wait cut short by the internal signal reports "interrupted"; unless the user interrupted, it was
   * stopped because another service failed, and that failure is the one to report.
   */
  private stopped(err: unknown): unknown {
    const cut = err instanceof GatestackError && err.code === "E_INTERRUPTED";
    return cut && !this.opts.signal?.aborted ? new StoppedBySibling() : err;
  }

  private checkAbort(): void {
    if (this.opts.signal?.aborted) throw interrupted();
    if (this.signal.aborted) throw new StoppedBySibling();
  }

  async execute(): Promise<ConvergeResult> {
    const { project, docker, opts } = this;
    const reporter = opts.reporter;
    this.checkAbort();
    await ensureNetworks(docker, project, reporter, this.signal);
    this.checkAbort();
    await ensureVolumes(docker, project, reporter, this.signal);
    this.checkAbort();
    const imageIds = await ensureImages(docker, project, {
      reporter,
      signal: this.signal,
      ...(opts.build !== undefined ? { build: opts.build } : {}),
      ...(opts.packageRoot ? { packageRoot: opts.packageRoot } : {}),
    });
    this.checkAbort();
    this.deadline = Date.now() + (opts.timeoutMs ?? 180_000);

    try {
      this.engine = { apiVersion: (await docker.version()).ApiVersion };
    } catch (err) {
      throw dockerError("reading the engine version", err);
    }
    const actual = await listProjectContainers(docker, project.name);
    const orphans = actual.filter(
      (c) => !this.whole.services[c.service] && !this.whole.disabledServices[c.service],
    );
    if (orphans.length > 0) {
      if (opts.removeOrphans) {
        for (const c of orphans) await this.removeContainer(c, "orphan", opts.stopTimeoutSeconds ?? 10);
      } else {
        reporter.warn(
          `found containers of services no longer defined (${orphans.map((c) => c.name).join(", ")}); \`stack up --remove-orphans\` removes them`,
        );
      }
    }

    const plans = new Map<string, Action[]>();
    for (const svc of Object.values(project.services)) {
      const d: DesiredService = {
        name: svc.name,
        replicas: svc.replicas,
        configHash: serviceConfigHash(project, svc),
        mountsHash: await mountedConfigHash(project, svc),
      };
      const id = imageIds.get(svc.image);
      if (id) d.imageId = id;
      this.desired.set(svc.name, d);
      const forceRecreate = opts.forceRecreate === true;
      plans.set(svc.name, planService(d, actual, { forceRecreate }));
      this.started.set(svc.name, deferred());
      for (const a of plans.get(svc.name) ?? []) {
        if (a.kind !== "remove") {
          const name = a.kind === "create" ? containerName(project, svc, a.number) : a.container.name;
          this.tasks.set(`${svc.name}:${a.number}`, reporter.task(`container:${name}`, `Container ${name}`));
        }
      }
    }

    const order = startOrder(project);
    const results = await Promise.allSettled(
      order.map((name) =>
        this.runService(name, plans.get(name) ?? []).catch((err: unknown) => {
          this.internal.abort();
          throw err;
        }),
      ),
    );
    const failure = firstRealError(results);
    if (failure) throw failure;

    if (opts.wait !== false) {
      const waits = await Promise.allSettled(order.map((name) => this.waitService(name)));
      const waitFailure = firstRealError(waits);
      if (waitFailure) {
        this.internal.abort();
        throw waitFailure;
      }
    } else {
      // Jobs a dependant waited for have their final line already ("completed (exit 0)").
      for (const o of this.outcomes)
        if (o.state === undefined) this.tasks.get(`${o.service}:${o.number}`)?.done(describeAction(o));
    }
    const all = [...this.outcomes, ...this.removed];
    return {
      project: project.name,
      containers: this.outcomes,
      removed: this.removed,
      summary: summarize(all.map((o) => ({ kind: o.action }) as Action)),
      orphans: opts.removeOrphans ? [] : orphans.map((c) => c.name),
    };
  }

  private identity(service: string): ContainerIdentity {
    const d = this.desired.get(service) as DesiredService;
    const id: ContainerIdentity = { configHash: d.configHash, mountsHash: d.mountsHash };
    if (d.imageId) id.imageId = d.imageId;
    return id;
  }

  /** Waits until each dependency meets its `depends_on` condition (started, healthy, completed). */
  private async awaitDependencies(svc: ServiceConfig): Promise<void> {
    for (const [dep, cfg] of Object.entries(svc.dependsOn)) {
      const containers = await (this.started.get(dep) as Deferred<ContainerOutcome[]>).promise;
      this.checkAbort();
      const goal = dependencyGoal(cfg.condition);
      try {
        if (goal === "completed") await this.awaitCompletion(dep, containers);
        else if (goal === "healthy") await this.awaitHealthy(dep, containers);
      } catch (err) {
        if (cfg.required || !isDependencyFailure(err)) throw err;
        this.tolerated.add(dep);
        this.opts.reporter.warn(
          `${svc.name}: optional dependency ${dep} failed (${errorLine(err)}); starting ${svc.name} anyway`,
        );
      }
    }
  }

  private async awaitHealthy(service: string, containers: ContainerOutcome[]): Promise<void> {
    const svc = this.project.services[service] as ServiceConfig;
    await Promise.all(
      containers.map((c) =>
        waitForContainer(this.docker, c.id, c.name, "healthy", {
          deadline: this.deadline,
          signal: this.signal,
          probe: this.healthProbe(svc, c.id),
        }),
      ),
    );
  }

  /** A one-shot dependency's run to its exit, shared by all its dependants (and shown on its own task). */
  private awaitCompletion(service: string, containers: ContainerOutcome[]): Promise<void> {
    let run = this.completions.get(service);
    if (!run) {
      run = Promise.all(containers.map((c) => this.waitCompleted(c))).then(() => {});
      run.catch(() => {});
      this.completions.set(service, run);
    }
    return run;
  }

  private async waitCompleted(o: ContainerOutcome): Promise<void> {
    const task = this.tasks.get(`${o.service}:${o.number}`);
    task?.progress(`${describeAction(o)}, running to completion`);
    try {
      o.state = await waitForContainer(this.docker, o.id, o.name, "completed", {
        deadline: this.deadline,
        signal: this.signal,
        onState: (s) => task?.progress(`${describeAction(o)}, ${s}`),
      });
      task?.done(`${describeAction(o)}, completed (exit 0)`);
    } catch (err) {
      const e = this.stopped(err);
      task?.fail(errorLine(e));
      throw completionFailure(o, awaitingCompletion(this.project, o.service), e);
    }
  }

  /**
   * The dependency's own healthcheck run at once through exec, so a dependent starts as soon as it
   * passes rather than at the engine's next scheduled check (see health-probe.ts).
   */
  private healthProbe(svc: ServiceConfig, containerId: string): () => Promise<boolean> {
    let cmd: string[] | undefined | null =
      svc.healthcheck === null ? null : probeCommand(svc.healthcheck?.test);
    const timeoutMs = Math.min(10_000, (svc.healthcheck?.timeout ?? 3e9) / 1e6);
    return async () => {
      if (cmd === undefined) {
        // No test in compose.yaml: the image's own HEALTHCHECK.
        const info = await this.docker.getContainer(containerId).inspect();
        cmd = probeCommand(info.Config.Healthcheck?.Test) ?? null;
      }
      return cmd === null ? false : execProbe(this.docker, containerId, cmd, timeoutMs);
    };
  }

  private async runService(name: string, actions: Action[]): Promise<void> {
    const svc = this.project.services[name] as ServiceConfig;
    const started = this.started.get(name) as Deferred<ContainerOutcome[]>;
    try {
      await this.awaitDependencies(svc);
      const grace = this.opts.stopTimeoutSeconds ?? svc.stopGracePeriod ?? 10;
      await Promise.all(
        actions
          .filter((a) => a.kind === "remove")
          .map((a) => this.removeContainer(a.container, a.reason, grace)),
      );
      const mine: ContainerOutcome[] = [];
      for (const a of actions) {
        if (a.kind === "remove") continue;
        this.checkAbort();
        const task = this.tasks.get(`${name}:${a.number}`) as Task;
        const outcome: ContainerOutcome = {
          service: name,
          number: a.number,
          name: "",
          id: "",
          action: a.kind,
        };
        if (a.kind === "keep") {
          outcome.name = a.container.name;
          outcome.id = a.container.id;
          task.running("unchanged");
        } else if (a.kind === "start") {
          outcome.name = a.container.name;
          outcome.id = a.container.id;
          task.running("starting");
          await this.startExisting(a.container);
        } else {
          if (a.kind === "recreate") {
            outcome.reason = a.reason;
            task.running(`recreating (${a.reason})`);
            await this.stopAndRemove(a.container, grace);
          } else {
            task.running("creating");
          }
          const created = await this.createAndStart(svc, a.number, task);
          outcome.name = created.name;
          outcome.id = created.id;
        }
        mine.push(outcome);
        this.outcomes.push(outcome);
      }
      started.resolve(mine);
    } catch (err) {
      const e = this.stopped(err);
      started.reject(e);
      started.promise.catch(() => {});
      for (const a of actions)
        if (a.kind !== "remove") this.tasks.get(`${name}:${a.number}`)?.fail(errorLine(e));
      throw e;
    }
  }

  private async waitService(name: string): Promise<void> {
    const existing = this.waits.get(name);
    if (existing) return existing;
    const p = (async () => {
      if (this.tolerated.has(name)) return;
      const mine = this.outcomes.filter((x) => x.service === name);
      // A job others wait for is waited for to its exit (as `docker compose up --wait` does).
      if (finalWaitGoal(this.project, name) === "completed") return this.awaitCompletion(name, mine);
      for (const o of mine) {
        const task = this.tasks.get(`${name}:${o.number}`);
        task?.progress(`${describeAction(o)}, waiting`);
        try {
          o.state = await waitForContainer(this.docker, o.id, o.name, "healthy", {
            deadline: this.deadline,
            signal: this.signal,
            allowNoHealthcheck: true,
            acceptCompleted: true,
            onState: (s) => task?.progress(`${describeAction(o)}, ${s}`),
          });
          task?.done(`${describeAction(o)}, ${o.state}`);
        } catch (err) {
          const e = this.stopped(err);
          task?.fail(errorLine(e));
          throw e;
        }
      }
    })();
    this.waits.set(name, p);
    return p;
  }

  private async startExisting(c: ActualContainer): Promise<void> {
    try {
      await this.docker.getContainer(c.id).start();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 304) return;
      throw dockerError(`starting ${c.name}`, err);
    }
  }

  private async createAndStart(
    svc: ServiceConfig,
    number: number,
    task: Task,
  ): Promise<{ id: string; name: string }> {
    const spec = containerSpec(this.project, svc, number, this.identity(svc.name), this.engine);
    this.checkAbort();
    let container: Dockerode.Container;
    try {
      container = await this.docker.createContainer(spec.options);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 409) {
        throw new GatestackError(
          "E_DOCKER",
          `a container named ${spec.name} already exists and is not part of this stack`,
          {
            hint: `remove it (docker rm -f ${spec.name}) or rename the stack (stack.yaml name)`,
            cause: err,
          },
        );
      }
      throw dockerError(`creating ${spec.name}`, err);
    }
    this.halfCreated.set(container.id, spec.name);
    try {
      for (const extra of spec.extraNetworks) {
        await this.docker
          .getNetwork(extra.network)
          .connect({ Container: container.id, EndpointConfig: extra.endpoint });
      }
      this.checkAbort();
      task.running("starting");
      await container.start();
    } catch (err) {
      if (err instanceof GatestackError || err instanceof StoppedBySibling) throw err;
      throw dockerError(`starting ${spec.name}`, err);
    }
    this.halfCreated.delete(container.id);
    return { id: container.id, name: spec.name };
  }

  private async stopAndRemove(c: ActualContainer, graceSeconds: number): Promise<void> {
    const ref = this.docker.getContainer(c.id);
    try {
      if (c.state === "running" || c.state === "restarting" || c.state === "paused")
        await ref.stop({ t: graceSeconds });
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404) throw dockerError(`stopping ${c.name}`, err);
    }
    try {
      await ref.remove({ force: true });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw dockerError(`removing ${c.name}`, err);
    }
  }

  private async removeContainer(c: ActualContainer, reason: string, grace: number): Promise<void> {
    this.checkAbort();
    const task = this.opts.reporter.task(`container:${c.name}`, `Container ${c.name}`);
    task.running(`removing (${reason})`);
    await this.stopAndRemove(c, grace);
    task.done(`removed (${reason})`);
    this.removed.push({
      service: c.service,
      number: c.number,
      name: c.name,
      id: c.id,
      action: "remove",
      reason,
    });
  }

  /** Containers this run created but did not start: removed, so an interrupted run leaves no half-made ones. */
  async cleanupHalfCreated(): Promise<void> {
    for (const [id] of this.halfCreated) {
      try {
        await this.docker.getContainer(id).remove({ force: true });
      } catch {
        // Best effort: it carries the project labels, so `stack down` finds it anyway.
      }
    }
    this.halfCreated.clear();
  }
}

/** Thrown in sibling tasks after another one failed, so the first real error is reported. */
class StoppedBySibling extends Error {}

function firstRealError(results: PromiseSettledResult<unknown>[]): unknown {
  const errors = results
    .filter((r): r is PromiseRejectedResult => r.status === "rejected")
    .map((r) => r.reason as unknown);
  const isInterrupted = (e: unknown) => e instanceof GatestackError && e.code === "E_INTERRUPTED";
  // Ctrl-C is reported as such by converge(); otherwise the failure that stopped the others.
  return (
    errors.find((e) => !(e instanceof StoppedBySibling) && !isInterrupted(e)) ??
    errors.find(isInterrupted) ??
    errors[0]
  );
}

/** A dependency failure `required: false` tolerates (not an interruption, not a sibling's failure). */
function isDependencyFailure(err: unknown): boolean {
  return err instanceof GatestackError && err.code !== "E_INTERRUPTED";
}

/**
 * A one-shot dependency that exited non-zero, said from the service's side: which service, its exit
 * code, which dependants were therefore not started; the hint keeps its last log lines.
 */
function completionFailure(o: ContainerOutcome, dependants: string[], err: unknown): unknown {
  if (!(err instanceof GatestackError) || err.code !== "E_DOCKER") return err;
  const exitCode = err.data?.exitCode;
  if (typeof exitCode !== "number" || exitCode === 0) return err;
  const notStarted = dependants.length
    ? `; not started: ${dependants.join(", ")} (depends_on ${o.service}: service_completed_successfully)`
    : "";
  return new GatestackError(
    "E_DOCKER",
    `service ${o.service} did not complete successfully: ${o.name} exited with code ${exitCode}${notStarted}`,
    {
      ...(err.hint ? { hint: err.hint } : {}),
      data: { ...err.data, service: o.service, dependants },
      cause: err,
    },
  );
}

function describeAction(o: ContainerOutcome): string {
  switch (o.action) {
    case "keep":
      return "unchanged";
    case "start":
      return "started";
    case "create":
      return "created";
    case "recreate":
      return `recreated (${o.reason})`;
    default:
      return o.action;
  }
}

function errorLine(err: unknown): string {
  if (err instanceof StoppedBySibling) return "stopped";
  return err instanceof Error ? err.message : String(err);
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

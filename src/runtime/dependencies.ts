/**
 * `depends_on` semantics, pure (unit-tested without Docker): start order, what a condition makes a
 * dependant wait for, what the final `--wait` waits for per service, and when a stopped container
 * is a one-shot job that completed rather than a service that died.
 *
 * As in Compose: a dependency with `service_completed_successfully` runs to its exit before its
 * dependants start (exit 0 lets them start, anything else fails `up`); `up --wait` waits for such a
 * service to complete instead of to be running (or it would never settle); an exited one-shot
 * container is started again by the next `up` (migrations and other setup jobs are idempotent).
 */
import type { ComposeProject, DependencyCondition } from "./compose/project.js";
import type { WaitGoal } from "./wait.js";

/** What a dependant waits for in a dependency. */
export function dependencyGoal(condition: DependencyCondition): WaitGoal {
  if (condition === "service_healthy") return "healthy";
  if (condition === "service_completed_successfully") return "completed";
  return "running";
}

/** Services in dependency order (dependencies first), ties by name. */
export function startOrder(project: ComposeProject): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const dep of Object.keys(project.services[name]?.dependsOn ?? {}).sort()) visit(dep);
    out.push(name);
  };
  for (const name of Object.keys(project.services).sort()) visit(name);
  return out;
}

/** Services that wait for `service` to exit successfully before they start, sorted. */
export function awaitingCompletion(project: ComposeProject, service: string): string[] {
  return Object.values(project.services)
    .filter((s) => s.dependsOn[service]?.condition === "service_completed_successfully")
    .map((s) => s.name)
    .sort();
}

/**
 * What the final wait of `up` waits for: "completed" for a service others wait to complete (a job),
 * else "ready" (healthy, or running without a healthcheck; a one-shot that exited 0 counts too).
 */
export function finalWaitGoal(project: ComposeProject, service: string): "completed" | "ready" {
  return awaitingCompletion(project, service).length > 0 ? "completed" : "ready";
}

/** Restart policies under which a container that exited 0 stays exited: it ran to completion. */
export function isOneShotPolicy(policy: string | undefined): boolean {
  return policy === undefined || policy === "" || policy === "no" || policy === "on-failure";
}

/** A stopped container that is a finished job, not a failure: exited 0 under a one-shot restart policy. */
export function isCompletedOneShot(c: { state: string; exitCode: number; restartPolicy?: string }): boolean {
  return c.state === "exited" && c.exitCode === 0 && isOneShotPolicy(c.restartPolicy);
}

/** "exited (0)" for an exited container (as `docker compose ps` shows it), else the state. */
export function stateWithExitCode(state: string, exitCode: number | undefined): string {
  return state === "exited" && exitCode !== undefined ? `exited (${exitCode})` : state;
}

/** The exit code in the engine's list status text ("Exited (3) 2 minutes ago"), if any. */
export function exitCodeFromStatus(status: string): number | undefined {
  const m = /^Exited \((-?\d+)\)/.exec(status);
  return m ? Number(m[1]) : undefined;
}

/**
 * `names` and everything they depend on, transitively (what `docker compose up SERVICE…` starts);
 * every service when `names` is empty. Sorted.
 */
export function withDependencies(project: ComposeProject, names: readonly string[]): string[] {
  if (names.length === 0) return Object.keys(project.services).sort();
  const out = new Set<string>();
  const visit = (name: string) => {
    if (out.has(name)) return;
    out.add(name);
    for (const dep of Object.keys(project.services[name]?.dependsOn ?? {})) visit(dep);
  };
  for (const name of names) visit(name);
  return [...out].sort();
}

/**
 * `names` and the services that depend on them with `restart: true`, transitively (what
 * `docker compose restart SERVICE…` restarts); every service when `names` is empty. Sorted.
 */
export function withRestartDependents(project: ComposeProject, names: readonly string[]): string[] {
  if (names.length === 0) return Object.keys(project.services).sort();
  const out = new Set<string>();
  const visit = (name: string) => {
    if (out.has(name)) return;
    out.add(name);
    for (const svc of Object.values(project.services))
      if (svc.dependsOn[name]?.restart === true) visit(svc.name);
  };
  for (const name of names) visit(name);
  return [...out].sort();
}

/**
 * The project restricted to `names` (which must include their dependencies): those services, and
 * the networks they use. Volumes and what is disabled stay as they are.
 */
export function scopeProject(project: ComposeProject, names: readonly string[]): ComposeProject {
  const services = Object.fromEntries(
    Object.entries(project.services).filter(([name]) => names.includes(name)),
  );
  const used = new Set(Object.values(services).flatMap((s) => Object.keys(s.networks)));
  const networks = Object.fromEntries(Object.entries(project.networks).filter(([key]) => used.has(key)));
  return { ...project, services, networks };
}

/**
 * Convergence planning: what to do with each container so the engine matches the model.
 * Pure: desired services + actual containers in, actions out (unit-tested without Docker).
 */
import type { ActualContainer } from "./actual.js";

export interface DesiredService {
  name: string;
  replicas: number;
  configHash: string;
  mountsHash: string;
  /** Image ID the service should run (undefined when unknown: image changes are not checked). */
  imageId?: string;
}

export type Action =
  | { kind: "create"; service: string; number: number }
  | { kind: "recreate"; service: string; number: number; container: ActualContainer; reason: string }
  | { kind: "start"; service: string; number: number; container: ActualContainer }
  | { kind: "keep"; service: string; number: number; container: ActualContainer }
  | { kind: "remove"; service: string; container: ActualContainer; reason: string };

export interface PlanOptions {
  /** Recreate every container (e.g. `--force-recreate`). */
  forceRecreate?: boolean;
}

/** Why a container no longer matches its service, or undefined when it does. */
export function recreateReason(
  desired: DesiredService,
  c: ActualContainer,
  opts: PlanOptions = {},
): string | undefined {
  if (opts.forceRecreate) return "forced";
  if (c.configHash !== desired.configHash) return "configuration changed";
  if (c.mountsHash !== desired.mountsHash) return "mounted config files changed";
  if (desired.imageId && c.imageId && c.imageId !== desired.imageId) return "image changed";
  return undefined;
}

export function planService(
  desired: DesiredService,
  actual: readonly ActualContainer[],
  opts: PlanOptions = {},
): Action[] {
  const actions: Action[] = [];
  const byNumber = new Map<number, ActualContainer>();
  const mine = actual.filter((c) => c.service === desired.name).sort((a, b) => a.number - b.number);
  for (const c of mine) {
    if (c.number < 1 || byNumber.has(c.number)) {
      actions.push({
        kind: "remove",
        service: desired.name,
        container: c,
        reason: "duplicate container number",
      });
    } else {
      byNumber.set(c.number, c);
    }
  }
  for (let n = 1; n <= desired.replicas; n++) {
    const c = byNumber.get(n);
    if (!c) {
      actions.push({ kind: "create", service: desired.name, number: n });
      continue;
    }
    const reason = recreateReason(desired, c, opts);
    if (reason) actions.push({ kind: "recreate", service: desired.name, number: n, container: c, reason });
    else if (c.state === "running" || c.state === "restarting")
      actions.push({ kind: "keep", service: desired.name, number: n, container: c });
    else actions.push({ kind: "start", service: desired.name, number: n, container: c });
  }
  // Scale down: the highest numbers go, as with `docker compose up --scale`.
  for (const [n, c] of byNumber) {
    if (n > desired.replicas)
      actions.push({ kind: "remove", service: desired.name, container: c, reason: "scaled down" });
  }
  return actions;
}

/** Counts of non-keep actions, for summaries and the idempotence check. */
export function summarize(actions: readonly Action[]): Record<Action["kind"], number> {
  const out = { create: 0, recreate: 0, start: 0, keep: 0, remove: 0 };
  for (const a of actions) out[a.kind]++;
  return out;
}

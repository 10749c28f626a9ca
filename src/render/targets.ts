import { GatestackError } from "../errors.js";
import { DATABASE_FIELD, databaseTargetRefusal } from "../stack/database.js";
import type { StackConfig } from "../stack/schema.js";

/**
 * What `stack render --target` generates. Each target owns its own paths: a render of one
 * target writes, checks and removes only its files, and keeps the manifest's record of the
 * others, so rendering the Kubernetes base never removes compose.yaml, nor the other way round.
 */
export const RENDER_TARGETS = ["compose", "kubernetes", "swarm"] as const;
export type RenderTarget = (typeof RENDER_TARGETS)[number];

export const DEFAULT_RENDER_TARGET: RenderTarget = "compose";

/** The Kustomize base of the kubernetes target (`kubectl apply -k deploy/kubernetes`). */
export const KUBERNETES_DIR = "deploy/kubernetes";

/** The Docker Swarm stack file and its config variants (`docker stack deploy -c deploy/swarm/stack.yml`). */
export const SWARM_DIR = "deploy/swarm";

/** The target a generated path belongs to: its deploy/ folder, or compose for every other file. */
export function targetOfPath(path: string): RenderTarget {
  if (path.startsWith(`${KUBERNETES_DIR}/`)) return "kubernetes";
  if (path.startsWith(`${SWARM_DIR}/`)) return "swarm";
  return "compose";
}

/** Refuse to render `target` for a stack it cannot run (database mode off compose), naming the field. */
export function refuseUnsupportedDatabase(stack: Pick<StackConfig, "gateway">, target: RenderTarget): void {
  const refusal = databaseTargetRefusal(stack, target);
  if (refusal !== null) {
    throw new GatestackError("E_USAGE", refusal, { place: DATABASE_FIELD.join("."), exitCode: 2 });
  }
}

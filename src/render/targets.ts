/**
 * What `stack render --target` generates. Each target owns its own paths: a render of one
 * target writes, checks and removes only its files, and keeps the manifest's record of the
 * others, so rendering the Kubernetes base never removes compose.yaml, nor the other way round.
 */
export const RENDER_TARGETS = ["compose", "kubernetes"] as const;
export type RenderTarget = (typeof RENDER_TARGETS)[number];

export const DEFAULT_RENDER_TARGET: RenderTarget = "compose";

/** The Kustomize base of the kubernetes target (`kubectl apply -k deploy/kubernetes`). */
export const KUBERNETES_DIR = "deploy/kubernetes";

/** The target a generated path belongs to: the kubernetes folder, or compose for every other file. */
export function targetOfPath(path: string): RenderTarget {
  return path.startsWith(`${KUBERNETES_DIR}/`) ? "kubernetes" : "compose";
}

import type { StackConfig } from "../stack/schema.js";
import { toYaml } from "./serialize.js";
import { KUBERNETES_DIR } from "./targets.js";
import type { Artifact } from "./types.js";

export const KUSTOMIZATION_PATH = `${KUBERNETES_DIR}/kustomization.yaml`;

/** deploy/kubernetes/: the Kustomize base of the stack (`kubectl apply -k deploy/kubernetes`). */
export function renderKubernetes(_stack: StackConfig): Artifact[] {
  const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: [],
  };
  return [{ path: KUSTOMIZATION_PATH, content: toYaml(kustomization) }];
}

import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IContainer } from "kubernetes-models/v1/Container";
import { parseAllDocuments } from "yaml";
import { planRender } from "../../src/render/index.js";
import type { KubernetesObject } from "../../src/render/kubernetes-model.js";
import { KUBERNETES_DIR } from "../../src/render/targets.js";
import type { Artifact } from "../../src/render/types.js";
import type { StackConfig } from "../../src/stack/schema.js";

/** What `stack render --target kubernetes` plans for a stack (no folder is touched). */
export function kubernetesArtifacts(stack: StackConfig): Artifact[] {
  return planRender({ dir: "/nonexistent/stack", config: stack }, "kubernetes");
}

/** Every object of a (multi-document) YAML text; a parse error fails the test. */
export function objectsOf(text: string): Array<KubernetesObject | Record<string, unknown>> {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join("; "));
    return doc.toJS() as KubernetesObject;
  });
}

/** The objects of every resource file of the base (deploy/kubernetes/*.yaml and apps/, not config/ nor the kustomization). */
export function baseObjects(artifacts: Artifact[]): KubernetesObject[] {
  return artifacts
    .filter(
      (a) =>
        a.path.startsWith(`${KUBERNETES_DIR}/`) &&
        !a.path.startsWith(`${KUBERNETES_DIR}/config/`) &&
        a.path !== `${KUBERNETES_DIR}/kustomization.yaml`,
    )
    .flatMap((a) => objectsOf(a.content) as KubernetesObject[]);
}

export function find<K extends KubernetesObject["kind"]>(
  objects: KubernetesObject[],
  kind: K,
  name: string,
): Extract<KubernetesObject, { kind: K }> {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found)
    throw new Error(`no ${kind} ${name} (have: ${objects.map((o) => `${o.kind}/${o.metadata?.name}`)})`);
  return found as Extract<KubernetesObject, { kind: K }>;
}

export function containerOf(deployment: IDeployment): IContainer {
  const container = deployment.spec?.template.spec?.containers[0];
  if (!container) throw new Error(`Deployment ${deployment.metadata?.name} has no container`);
  return container;
}

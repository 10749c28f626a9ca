/**
 * Configs and secrets are immutable and versioned by name (a content hash, a value HMAC), so every
 * change leaves the previous version behind. Once the stack converged, the ones of this stack that
 * no service references any more are removed; `docker stack deploy` itself never does.
 */
import type Docker from "dockerode";
import { dockerError } from "../engine.js";
import { namespaceFilter, stackServices } from "./resources.js";

interface Named {
  ID: string;
  Spec?: { Name?: string };
}

export async function removeUnusedObjects(
  docker: Docker,
  stack: string,
): Promise<{ configs: string[]; secrets: string[] }> {
  const services = await stackServices(docker, stack);
  const usedConfigs = new Set<string>();
  const usedSecrets = new Set<string>();
  for (const s of services) {
    const spec = s.Spec.TaskTemplate?.ContainerSpec;
    for (const c of spec?.Configs ?? []) if (c.ConfigName) usedConfigs.add(c.ConfigName);
    for (const c of spec?.Secrets ?? []) if (c.SecretName) usedSecrets.add(c.SecretName);
  }
  const filters = namespaceFilter(stack);
  let configs: Named[];
  let secrets: Named[];
  try {
    [configs, secrets] = (await Promise.all([
      docker.listConfigs({ filters }),
      docker.listSecrets({ filters }),
    ])) as [Named[], Named[]];
  } catch (err) {
    throw dockerError("listing the stack's configs and secrets", err);
  }
  const removed = { configs: [] as string[], secrets: [] as string[] };
  for (const c of configs) {
    const name = c.Spec?.Name ?? "";
    if (usedConfigs.has(name)) continue;
    if (await removeQuietly(() => docker.getConfig(c.ID).remove())) removed.configs.push(name);
  }
  for (const s of secrets) {
    const name = s.Spec?.Name ?? "";
    if (usedSecrets.has(name)) continue;
    if (await removeQuietly(() => docker.getSecret(s.ID).remove())) removed.secrets.push(name);
  }
  removed.configs.sort();
  removed.secrets.sort();
  return removed;
}

/** A removal that loses a race (in use by a task still shutting down, already gone) is left for the next deploy. */
async function removeQuietly(remove: () => Promise<unknown>): Promise<boolean> {
  try {
    await remove();
    return true;
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404 || status === 400 || status === 409) return false;
    throw dockerError("removing an unused config or secret", err);
  }
}

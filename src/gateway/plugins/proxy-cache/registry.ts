/**
 * The live proxy-cache instances of each gateway (by node id), so the Admin API can
 * purge or inspect every cache, or one plugin's cache, without reaching into the core.
 */
import type { CacheStore } from "./store.js";

export interface ProxyCacheInstance {
  readonly pluginId: string;
  readonly store: CacheStore;
}

export class CacheRegistry {
  private readonly instances: ProxyCacheInstance[] = [];

  constructor(private readonly onEmpty: () => void) {}

  /** Track an instance; returns its removal. */
  add(instance: ProxyCacheInstance): () => void {
    this.instances.push(instance);
    return () => {
      const i = this.instances.indexOf(instance);
      if (i >= 0) this.instances.splice(i, 1);
      if (this.instances.length === 0) this.onEmpty();
    };
  }

  /** Distinct stores of all live instances. */
  stores(): CacheStore[] {
    return [...new Set(this.instances.map((i) => i.store))];
  }

  /** The most recently loaded instance of a plugin entry. */
  byPluginId(id: string): ProxyCacheInstance | null {
    for (let i = this.instances.length - 1; i >= 0; i--) {
      if (this.instances[i]!.pluginId === id) return this.instances[i]!;
    }
    return null;
  }
}

const registries = new Map<string, CacheRegistry>();

export function cacheRegistryFor(nodeId: string): CacheRegistry {
  let reg = registries.get(nodeId);
  if (reg === undefined) {
    const created = new CacheRegistry(() => {
      if (registries.get(nodeId) === created) registries.delete(nodeId);
    });
    registries.set(nodeId, created);
    reg = created;
  }
  return reg;
}

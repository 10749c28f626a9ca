/**
 * Kong's proxy-cache Admin API: DELETE /proxy-cache (purge every cache),
 * GET|DELETE /proxy-cache/{cache_key} (look the key up in every proxy-cache instance),
 * GET|DELETE /proxy-cache/{plugin_id}/caches/{cache_key} (one plugin's cache).
 * 204 on purge, 200 with the cached entry, 404 when the plugin or key is unknown, 500 with
 * the error when a store cannot be reached (Kong). A `redis` store is shared by every
 * replica, so a purge through any replica's Admin API purges it for all.
 */
import type { AdminRequest, AdminResponse, AdminRouteRegistrar, PluginEnvironment } from "../types.js";
import { cacheRegistryFor } from "./registry.js";
import type { CachedResponse, CacheStore } from "./store.js";

const registered = new WeakSet<AdminRouteRegistrar>();

/** The cached entry as Kong's Admin API shows it (body as text). */
function view(entry: CachedResponse): Record<string, unknown> {
  return { ...entry, body: entry.body.toString("utf8") };
}

const NOT_FOUND: AdminResponse = { status: 404, body: { message: "Not found" } };

async function find(store: CacheStore, key: string): Promise<CachedResponse | null> {
  return (await store.lookup(key))?.response ?? null;
}

/** A store that cannot be reached answers Kong's 500 with the error. */
function storeFailed(err: unknown): AdminResponse {
  return { status: 500, body: { message: err instanceof Error ? err.message : String(err) } };
}

export function registerProxyCacheAdmin(env: PluginEnvironment): void {
  const routes = env.adminRoutes;
  if (registered.has(routes)) return;
  registered.add(routes);
  const registry = () => cacheRegistryFor(env.nodeId);
  const param = (req: AdminRequest, name: string) => req.params[name] ?? "";

  const add = (
    method: "GET" | "DELETE",
    path: string,
    handler: (req: AdminRequest) => Promise<AdminResponse>,
  ) => {
    try {
      routes.add(method, path, (req) => handler(req).catch(storeFailed));
    } catch (err) {
      env.logger.warn(`proxy-cache: could not register Admin API route ${method} ${path}`, {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };

  add("DELETE", "/proxy-cache", async () => {
    for (const store of registry().stores()) await store.flush();
    return { status: 204 };
  });

  add("GET", "/proxy-cache/:cache_key", async (req) => {
    const key = param(req, "cache_key");
    for (const store of registry().stores()) {
      const hit = await find(store, key);
      if (hit) return { status: 200, body: view(hit) };
    }
    return NOT_FOUND;
  });

  add("DELETE", "/proxy-cache/:cache_key", async (req) => {
    const key = param(req, "cache_key");
    let purged = false;
    for (const store of registry().stores()) purged = (await store.purge(key)) || purged;
    return purged ? { status: 204 } : NOT_FOUND;
  });

  add("GET", "/proxy-cache/:plugin_id/caches/:cache_key", async (req) => {
    const instance = registry().byPluginId(param(req, "plugin_id"));
    const hit = instance ? await find(instance.store, param(req, "cache_key")) : null;
    return hit ? { status: 200, body: view(hit) } : NOT_FOUND;
  });

  add("DELETE", "/proxy-cache/:plugin_id/caches/:cache_key", async (req) => {
    const instance = registry().byPluginId(param(req, "plugin_id"));
    if (!instance) return NOT_FOUND;
    return (await instance.store.purge(param(req, "cache_key"))) ? { status: 204 } : NOT_FOUND;
  });
}

/**
 * `GET /gui-api/plugins-applying?route=<id|name>`: the plugins a request on that route runs, in
 * execution order (Kong's: priority descending), each with the scope it was configured on. The
 * choice between entries of one plugin is the pipeline's own (the route's plan, Kong's scope
 * precedence); where a consumer has its own entry, that entry is listed too, marked as applying
 * to that consumer only. Disabled entries that would apply are listed with `enabled: false`.
 */
import type { GatewayPluginEntry } from "../config/types.js";
import type { PluginInstance } from "../proxy/pipeline.js";
import type { GatewaySnapshot } from "../snapshot.js";
import type { ApplyingPlugin, PluginsApplying } from "./contract.js";

/** `global`, or the scope's parts joined: `route`, `route+service`, `route+consumer`… */
export function scopeOf(e: Pick<GatewayPluginEntry, "route" | "service" | "consumer">): string {
  const parts: string[] = [];
  if (e.route !== null) parts.push("route");
  if (e.service !== null) parts.push("service");
  if (e.consumer !== null) parts.push("consumer");
  return parts.length === 0 ? "global" : parts.join("+");
}

export function pluginsApplying(
  snapshot: GatewaySnapshot | null,
  routeKey: string,
  priorityOf: (name: string) => number | undefined,
): PluginsApplying | null {
  if (snapshot === null) return null;
  const config = snapshot.config;
  const route =
    config.routes.find((r) => r.id === routeKey.toLowerCase()) ??
    config.routes.find((r) => r.name === routeKey);
  if (route === undefined) return null;
  const service = route.service === null ? undefined : config.services.find((s) => s.id === route.service);
  const username = (id: string) => config.consumers.find((c) => c.id === id)?.username ?? null;

  const listed: ApplyingPlugin[] = [];
  const entryOf = (inst: PluginInstance): ApplyingPlugin => {
    const e = inst.entry;
    const item: ApplyingPlugin = {
      id: e.id,
      name: inst.name,
      priority: inst.priority,
      scope: scopeOf(e),
      enabled: true,
    };
    if (e.consumer !== null) item.consumer = { id: e.consumer, username: username(e.consumer) };
    return item;
  };
  const priorities = new Map<string, number>();
  for (const slot of snapshot.plugins.planFor(route).slots) {
    if (slot.fixed !== null) {
      listed.push(entryOf(slot.fixed));
      priorities.set(slot.name, slot.fixed.priority);
    }
    const seen = new Set<string>();
    for (const inst of slot.byConsumer?.values() ?? []) {
      if (seen.has(inst.entry.id)) continue;
      seen.add(inst.entry.id);
      listed.push(entryOf(inst));
      priorities.set(slot.name, inst.priority);
    }
  }
  for (const inst of snapshot.plugins.instances) priorities.set(inst.name, inst.priority);
  for (const e of config.plugins) {
    if (e.enabled) continue;
    if (e.route !== null && e.route !== route.id) continue;
    if (e.service !== null && e.service !== route.service) continue;
    const item: ApplyingPlugin = {
      id: e.id,
      name: e.name,
      priority: priorities.get(e.name) ?? priorityOf(e.name) ?? 0,
      scope: scopeOf(e),
      enabled: false,
    };
    if (e.consumer !== null) item.consumer = { id: e.consumer, username: username(e.consumer) };
    listed.push(item);
  }
  const order = new Map(listed.map((p, i) => [p, i]));
  listed.sort(
    (a, b) => b.priority - a.priority || a.name.localeCompare(b.name) || order.get(a)! - order.get(b)!,
  );
  return {
    route: { id: route.id, name: route.name },
    service: service === undefined ? null : { id: service.id, name: service.name },
    plugins: listed,
  };
}

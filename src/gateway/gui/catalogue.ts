/**
 * `GET /gui-api/plugin-catalogue`: every installed plugin, by Kong's priority (highest first),
 * with the JSON Schema of its config (zod's, defaults and descriptions kept; input side, so a
 * field with a default is optional) for the front-end's generated forms, and the phases its
 * handlers run in (known from the handlers of the configuration served, when it is configured).
 */
import { z } from "zod";
import type { PluginDefinition, PluginHandler } from "../plugins/types.js";
import type { GatewaySnapshot } from "../snapshot.js";

export interface CatalogueEntry {
  name: string;
  priority: number;
  version: string;
  phases: string[];
  schema: unknown;
}

const schemas = new WeakMap<object, unknown>();

/** The config schema as JSON Schema (cached per definition; `{}` when zod cannot express it). */
export function configJsonSchema(def: PluginDefinition): unknown {
  const cached = schemas.get(def);
  if (cached !== undefined) return cached;
  let schema: unknown;
  try {
    schema = z.toJSONSchema(def.configSchema, { io: "input", unrepresentable: "any" });
  } catch {
    schema = {};
  }
  schemas.set(def, schema);
  return schema;
}

/** Kong's names of the phases a handler implements. */
export function phasesOf(h: PluginHandler): string[] {
  const out: string[] = [];
  if (h.access !== undefined) out.push("access");
  if (h.responseHeaders !== undefined) out.push("header_filter");
  if (h.responseBody !== undefined) out.push("body_filter");
  // a tracer is told of the finished exchange where Kong's tracing runs: the log phase
  if (h.log !== undefined || h.startTrace !== undefined) out.push("log");
  return out;
}

export function pluginCatalogue(
  plugins: readonly PluginDefinition[],
  current: GatewaySnapshot | null,
): CatalogueEntry[] {
  const phases = new Map<string, string[]>();
  for (const inst of current?.plugins.instances ?? []) {
    if (!phases.has(inst.name)) phases.set(inst.name, phasesOf(inst.handler));
  }
  return [...plugins]
    .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name))
    .map((def) => ({
      name: def.name,
      priority: def.priority,
      version: def.version,
      phases: phases.get(def.name) ?? [],
      schema: configJsonSchema(def),
    }));
}

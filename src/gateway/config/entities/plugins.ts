/**
 * Plugins (Kong kong/db/schema/entities/plugins.lua): a plugin instance, global or scoped to a
 * route, service and/or consumer (each deleted with it). `config` is validated by the plugin's
 * own schema afterwards (config/load.ts). Ids from the cache key name + route + service +
 * consumer; `instance_name` unique. Kong's endpoint key is `instance_name`; here plugins are
 * addressed by id only.
 */
import type { RecordField } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { type EntityDefinition, foreignRef, IGNORED, type Protocol } from "./entity.js";

export interface GatewayPluginEntry {
  id: string;
  name: string;
  enabled: boolean;
  /** config after the plugin's schema applied its defaults */
  config: Record<string, unknown>;
  service: string | null;
  route: string | null;
  consumer: string | null;
  protocols: Protocol[];
  tags: string[] | null;
}

/** The plugin entity; `config` is validated by the plugin's own schema afterwards. */
export const pluginSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    name: { type: "string", required: true },
    instance_name: t.utf8Name,
    route: foreignRef,
    service: foreignRef,
    consumer: foreignRef,
    config: { type: "any" },
    protocols: {
      type: "set",
      required: true,
      default: ["grpc", "grpcs", "http", "https"],
      elements: t.protocol,
    },
    enabled: { type: "boolean", required: true, default: true },
    tags: t.tags,
  },
};

export const plugins: EntityDefinition<GatewayPluginEntry> = {
  name: "plugins",
  schema: pluginSchema,
  endpointKeyUnique: false,
  cacheKey: ["name", "route", "service", "consumer"],
  unique: ["instance_name"],
  foreignKeys: {
    route: { reference: "routes", required: false, onDelete: "cascade", nested: true },
    service: { reference: "services", required: false, onDelete: "cascade", nested: true },
    consumer: { reference: "consumers", required: false, onDelete: "cascade", nested: true },
  },
  assemble: (e, a) => ({
    id: e.value.id as string,
    name: e.value.name as string,
    enabled: e.value.enabled as boolean,
    config: e.value.config as Record<string, unknown>,
    service: e.ref("service"),
    route: e.ref("route"),
    consumer: e.ref("consumer"),
    protocols: a.intern(e.value.protocols as Protocol[]),
    tags: a.tags(e.value.tags),
  }),
};

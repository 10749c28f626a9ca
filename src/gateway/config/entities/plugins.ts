/**
 * Plugins (Kong kong/db/schema/entities/plugins.lua): a plugin instance, global or scoped to a
 * route, service and/or consumer (each deleted with it). `config` is validated by the plugin's
 * own schema afterwards (config/load.ts). Ids from the cache key name + route + service +
 * consumer; `instance_name` unique. `check`: the plugin must be installed, allow its scopes, and
 * its config pass the plugin's schema. Kong's endpoint key is `instance_name`; here plugins are
 * addressed by id only.
 */
import { EDITION_MSG, ENTERPRISE_PLUGINS, OPEN_SOURCE_PLUGINS_NOT_YET } from "../editions.js";
import { parsePluginConfig, stripNulls } from "../plugin-config.js";
import { ErrorList, type ErrorRecord } from "../schema/errors.js";
import { isPlainObject, MSG, type RecordField, setOwn } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { type CheckContext, type EntityDefinition, foreignRef, IGNORED, type Protocol } from "./entity.js";

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

/** Plugin `name` must be installed; `config` through its schema; scope restrictions. */
function checkPluginEntry(value: Record<string, unknown>, errs: ErrorRecord, ctx: CheckContext): void {
  const { plugins, nestedIn } = ctx;
  const name = value.name;
  if (typeof name !== "string" || errs.name !== undefined) return;
  const def = plugins(name);
  if (!def) {
    const message = ENTERPRISE_PLUGINS.has(name)
      ? EDITION_MSG.enterprisePlugin(name)
      : OPEN_SOURCE_PLUGINS_NOT_YET.has(name)
        ? EDITION_MSG.pluginNotYet(name)
        : `plugin '${name}' not enabled; add it to the 'plugins' configuration property`;
    setOwn(errs, "name", message);
    return;
  }
  if (def.storesEntities !== undefined && !ctx.database) {
    setOwn(errs, "name", EDITION_MSG.pluginNeedsDatabase(name, def.storesEntities));
    return;
  }
  for (const scope of def.forbiddenScopes ?? []) {
    const set = nestedIn === scope || (value[scope] !== null && value[scope] !== undefined);
    if (set) setOwn(errs, scope, "value must be null");
  }
  const given = value.config === null || value.config === undefined ? {} : value.config;
  if (!isPlainObject(given)) {
    setOwn(errs, "config", MSG.RECORD);
    return;
  }
  // fields Kong generates when left out (oauth2's provision_key), kept in the stored entry
  let rawConfig: Record<string, unknown> = given;
  for (const [field, generate] of Object.entries(def.generatedConfig ?? {})) {
    if (rawConfig[field] === null || rawConfig[field] === undefined)
      rawConfig = { ...rawConfig, [field]: generate() };
  }
  const parsed = parsePluginConfig(def.configSchema, stripNulls(rawConfig));
  if (parsed.ok) {
    value.config = parsed.data;
  } else {
    // an error of the config record as a whole (Kong's custom_validator) is reported at `config`,
    // one of the plugin's entity_checks at the entry's `@entity`
    const { "@entity": whole, ...fields } = parsed.errors;
    if (whole !== undefined || Object.keys(fields).length > 0)
      setOwn(errs, "config", whole !== undefined && Object.keys(fields).length === 0 ? whole : parsed.errors);
    for (const message of parsed.entity) {
      const list = errs["@entity"] instanceof ErrorList ? errs["@entity"] : new ErrorList();
      list.set(list.size, message);
      errs["@entity"] = list;
    }
  }
}

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
  check: checkPluginEntry,
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

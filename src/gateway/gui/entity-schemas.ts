/**
 * `GET /gui-api/entity-schemas`: the JSON Schema of each entity kind's fields (services, routes,
 * upstreams, targets, consumers, plugins and the credential kinds), derived from the entity files'
 * own field schemas (every kind of the registry, in its order) (config/entities/), for the front-end's generated forms. A foreign key says
 * what it references (`x-reference`); Kong's validators the JSON Schema cannot say (Lua-like
 * patterns, entity checks) are left to the Admin API, whose `fields` errors the form shows.
 */
import { ENTITIES, type KindName } from "../config/entities/index.js";
import type { Field } from "../config/schema/fields.js";

type JsonSchema = Record<string, unknown>;

function withBase(field: Field, schema: JsonSchema): JsonSchema {
  if (field.description !== undefined) schema.description = field.description;
  if (field.default !== undefined && typeof field.default !== "function") schema.default = field.default;
  return schema;
}

export function fieldJsonSchema(field: Field): JsonSchema {
  switch (field.type) {
    case "string": {
      const s: JsonSchema = { type: "string" };
      if (field.oneOf) s.enum = [...field.oneOf];
      const min = field.lenMin ?? 1;
      if (min > 0) s.minLength = min;
      if (field.lenMax !== undefined) s.maxLength = field.lenMax;
      if (field.uuid) s.format = "uuid";
      return withBase(field, s);
    }
    case "integer":
    case "number": {
      const s: JsonSchema = { type: field.type };
      if (field.oneOf) s.enum = [...field.oneOf];
      if (field.between) {
        s.minimum = field.between[0];
        s.maximum = field.between[1];
      }
      return withBase(field, s);
    }
    case "boolean":
      return withBase(field, { type: "boolean" });
    case "array":
    case "set": {
      const s: JsonSchema = { type: "array", items: fieldJsonSchema(field.elements) };
      if (field.type === "set") s.uniqueItems = true;
      if (field.lenMin !== undefined) s.minItems = field.lenMin;
      if (field.lenMax !== undefined) s.maxItems = field.lenMax;
      return withBase(field, s);
    }
    case "map":
      return withBase(field, { type: "object", additionalProperties: fieldJsonSchema(field.values) });
    case "record": {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const [name, f] of Object.entries(field.fields)) {
        properties[name] = fieldJsonSchema(f);
        if (f.required && f.default === undefined) required.push(name);
      }
      const s: JsonSchema = { type: "object", properties };
      if (required.length > 0) s.required = required;
      return withBase(field, s);
    }
    case "any":
      return withBase(field, {});
  }
}

let cached: Record<string, JsonSchema> | null = null;

export function entitySchemas(): Record<string, JsonSchema> {
  if (cached !== null) return cached;
  const out: Record<string, JsonSchema> = {};
  for (const kind of Object.keys(ENTITIES) as KindName[]) {
    const def = ENTITIES[kind];
    const schema = fieldJsonSchema(def.schema);
    const properties = schema.properties as Record<string, JsonSchema>;
    for (const [name, fk] of Object.entries(def.foreignKeys)) {
      const p = properties[name] ?? {};
      properties[name] = {
        ...p,
        description: p.description ?? `the ${fk.reference.replace(/s$/, "")} (id or name, or { "id": … })`,
        "x-reference": fk.reference,
      };
    }
    if (def.endpointKey !== undefined) schema["x-endpoint-key"] = def.endpointKey;
    out[kind] = schema;
  }
  cached = out;
  return out;
}

/**
 * Form values typed by the schema they are written against, as Kong's `infer` does
 * (kong/api/arguments.lua infer/infer_value): for a field the schema knows, "" is null,
 * numbers and integers are Lua's `tonumber` of the text (left as text when it is none, so
 * the schema names the field), "true"/"false" are booleans, a lone value of an array or
 * set field is a one-element list (beyond Kong: a comma list of choices, `config.methods=GET,POST`,
 * is those choices — listOfChoices), and records and maps are typed field by field. Fields
 * the schema does not know are left as sent.
 *
 * The schemas are the ones the declarative loader checks with: the entity's record
 * (config/entities/<kind>.ts) and, for plugins, the plugin's own config schema (its zod
 * schema, read through its JSON Schema) chosen by the body's `name` — Kong's plugin
 * subschema — or by the stored plugin's name for a PATCH that names none.
 */
import { z } from "zod";
import type { PluginLookup } from "../config/load.js";
import { type Field, isPlainObject, type RecordField, setOwn } from "../config/schema/fields.js";
import { luaNumber } from "./body-args.js";

/** What a body is written against. */
export interface BodyTarget {
  /** The entity's schema. */
  schema: RecordField;
  /** For plugin entities: the installed plugins, whose config schema types `config`. */
  plugins?: PluginLookup;
  /** The plugin's name when the body names none (a PATCH of a stored plugin). */
  pluginName?: string;
}

/** A field as inference sees it; strings, foreign keys and free values only turn "" into null. */
type Shape =
  | { kind: "number" | "boolean" | "other" }
  /** a string that must be one of these (Kong's one_of, a zod enum) */
  | { kind: "choice"; values: ReadonlySet<string> }
  | { kind: "array"; elements: Shape }
  | { kind: "map"; values: Shape }
  | RecordShape;

interface RecordShape {
  kind: "record";
  field: (name: string) => Shape | undefined;
}

const NUMBER: Shape = { kind: "number" };
const BOOLEAN: Shape = { kind: "boolean" };
const OTHER: Shape = { kind: "other" };

function fieldShape(field: Field): Shape {
  switch (field.type) {
    case "integer":
    case "number":
      return NUMBER;
    case "boolean":
      return BOOLEAN;
    case "array":
    case "set":
      return { kind: "array", elements: fieldShape(field.elements) };
    case "map":
      return { kind: "map", values: fieldShape(field.values) };
    case "record":
      return recordShape(field);
    case "string":
      return field.oneOf ? { kind: "choice", values: new Set(field.oneOf) } : OTHER;
    default:
      return OTHER;
  }
}

function recordShape(record: RecordField): RecordShape {
  return {
    kind: "record",
    field: (name) => (Object.hasOwn(record.fields, name) ? fieldShape(record.fields[name]!) : undefined),
  };
}

/** The part of a JSON Schema (zod's `toJSONSchema`, input side) that tells a field's type. */
interface JsonSchemaNode {
  type?: string | string[];
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  items?: JsonSchemaNode;
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: boolean | JsonSchemaNode;
  enum?: unknown[];
  $ref?: string;
}

/** Deeper than any plugin config nests: a self-referencing schema stops being typed there. */
const MAX_DEPTH = 32;

function resolveRef(root: JsonSchemaNode, node: JsonSchemaNode): JsonSchemaNode | undefined {
  if (node.$ref === undefined) return node;
  if (!node.$ref.startsWith("#")) return undefined;
  let at: unknown = root;
  for (const step of node.$ref
    .slice(1)
    .split("/")
    .filter((s) => s !== "")) {
    at = isPlainObject(at) ? at[decodeURIComponent(step)] : undefined;
  }
  return isPlainObject(at) ? (at as JsonSchemaNode) : undefined;
}

/** The typed alternatives of a node (`anyOf` flattened, `null` dropped), each with its type name. */
function alternatives(
  root: JsonSchemaNode,
  node: JsonSchemaNode,
  depth: number,
): Array<[string, JsonSchemaNode]> {
  const resolved = resolveRef(root, node);
  if (resolved === undefined || depth > MAX_DEPTH) return [];
  const options = resolved.anyOf ?? resolved.oneOf;
  if (options) return options.flatMap((o) => alternatives(root, o, depth + 1));
  const types = Array.isArray(resolved.type) ? resolved.type : resolved.type ? [resolved.type] : ["any"];
  return types
    .filter((t) => t !== "null")
    .map((t): [string, JsonSchemaNode] => [t === "integer" ? "number" : t, resolved]);
}

function jsonShape(root: JsonSchemaNode, node: JsonSchemaNode, depth: number): Shape {
  const options = alternatives(root, node, depth);
  if (options.length === 0 || options.some(([t]) => t !== options[0]![0])) return OTHER;
  const [type, schema] = options[0]!;
  const below = (child: JsonSchemaNode | undefined) =>
    child === undefined ? OTHER : jsonShape(root, child, depth + 1);
  switch (type) {
    case "number":
      return NUMBER;
    case "boolean":
      return BOOLEAN;
    case "array":
      return { kind: "array", elements: below(schema.items) };
    case "string":
      return Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === "string")
        ? { kind: "choice", values: new Set(schema.enum as string[]) }
        : OTHER;
    case "object": {
      const { properties, additionalProperties } = schema;
      if (properties !== undefined) {
        return {
          kind: "record",
          field: (name) => (Object.hasOwn(properties, name) ? below(properties[name]) : undefined),
        };
      }
      return isPlainObject(additionalProperties)
        ? { kind: "map", values: below(additionalProperties) }
        : OTHER;
    }
    default:
      return OTHER;
  }
}

const configShapes = new WeakMap<z.ZodType<unknown>, Shape>();

/** A plugin's config as a shape (its zod schema's input JSON Schema, read once per schema). */
function pluginConfigShape(schema: z.ZodType<unknown>): Shape {
  let shape = configShapes.get(schema);
  if (shape === undefined) {
    try {
      const root = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchemaNode;
      shape = jsonShape(root, root, 0);
    } catch {
      // a schema zod cannot describe is left untyped: the plugin's own check still runs
      shape = OTHER;
    }
    configShapes.set(schema, shape);
  }
  return shape;
}

/** Kong's infer_value. */
function inferValue(value: unknown, shape: Shape): unknown {
  if (value === "" || value === null) return null;
  switch (shape.kind) {
    case "number":
      return typeof value === "string" ? (luaNumber(value) ?? value) : value;
    case "boolean":
      return value === "true" ? true : value === "false" ? false : value;
    case "array":
      // a table that is no list (`x[a]=1`) is left for the schema to refuse
      if (isPlainObject(value)) return value;
      return (Array.isArray(value) ? value : (listOfChoices(value, shape.elements) ?? [value])).map((item) =>
        inferValue(item, shape.elements),
      );
    case "map":
      return isPlainObject(value) ? inferFields(value, () => shape.values) : value;
    case "record":
      return isPlainObject(value) ? inferFields(value, shape.field) : value;
    default:
      return value;
  }
}

/**
 * Beyond Kong: a lone `GET,POST,PUT` for a list of choices (cors `config.methods`) is the list of
 * those choices — what Kong before 1.0 read and what guides still write. Kong 3 makes it one
 * element that no choice matches (a sure 400), so only that case is split: each part must be a choice.
 */
function listOfChoices(value: unknown, elements: Shape): string[] | null {
  if (typeof value !== "string" || !value.includes(",") || elements.kind !== "choice") return null;
  const parts = value.split(",").map((p) => p.trim());
  return parts.every((p) => elements.values.has(p)) ? parts : null;
}

function inferFields(
  value: Record<string, unknown>,
  shapeOf: (name: string) => Shape | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    const shape = shapeOf(name);
    setOwn(out, name, shape === undefined ? v : inferValue(v, shape));
  }
  return out;
}

/** A decoded form body typed by `target`'s schema (Kong's `infer`). */
export function inferBody(body: Record<string, unknown>, target: BodyTarget): Record<string, unknown> {
  const entity = recordShape(target.schema);
  let config: Shape | undefined;
  if (target.plugins) {
    const name = typeof body.name === "string" ? body.name : target.pluginName;
    const plugin = name === undefined ? undefined : target.plugins(name);
    if (plugin) config = pluginConfigShape(plugin.configSchema);
  }
  return inferFields(body, (name) => (name === "config" && config ? config : entity.field(name)));
}

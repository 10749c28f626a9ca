/**
 * Reading the entity and plugin JSON Schemas for generated forms: what control a field gets,
 * its displayed (raw) value, and turning the raw values back into the JSON the Admin API takes.
 */
import type { JsonSchema } from "../types.js";

export type Control =
  | { kind: "text"; number: false }
  | { kind: "text"; number: true; integer: boolean }
  | { kind: "select"; options: string[] }
  | { kind: "checkbox" }
  | { kind: "checkboxes"; options: string[] }
  | { kind: "lines"; number: boolean }
  | { kind: "object"; schema: JsonSchema }
  | { kind: "json" };

/** A raw form value: text of an input, a checkbox's state, the checked options of a group. */
export type Raw = string | boolean | string[];

/** The schema without its `null` alternative (`anyOf: [X, {type: "null"}]` → X). */
export function unwrap(schema: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts) {
    const rest = alts.filter((a) => a.type !== "null");
    if (rest.length === 1) {
      const inner = unwrap(rest[0]!);
      return {
        schema: {
          ...inner.schema,
          description: schema.description ?? inner.schema.description,
          default: schema.default ?? inner.schema.default,
        },
        nullable: true,
      };
    }
  }
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t) => t !== "null");
    if (types.length === 1)
      return { schema: { ...schema, type: types[0] }, nullable: types.length < schema.type.length };
  }
  return { schema, nullable: false };
}

function enumOptions(schema: JsonSchema): string[] | null {
  if (schema.enum) return schema.enum.map(String);
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts?.every((a) => a.const !== undefined)) return alts.map((a) => String(a.const));
  return null;
}

export function controlFor(raw: JsonSchema): Control {
  const { schema } = unwrap(raw);
  const options = enumOptions(schema);
  if (options) return { kind: "select", options };
  switch (schema.type) {
    case "boolean":
      return { kind: "checkbox" };
    case "integer":
    case "number":
      return { kind: "text", number: true, integer: schema.type === "integer" };
    case "string":
      return { kind: "text", number: false };
    case "array": {
      const items = schema.items ? unwrap(schema.items).schema : {};
      const itemOptions = enumOptions(items);
      if (itemOptions) return { kind: "checkboxes", options: itemOptions };
      if (items.type === "string") return { kind: "lines", number: false };
      if (items.type === "integer" || items.type === "number") return { kind: "lines", number: true };
      return { kind: "json" };
    }
    case "object":
      return schema.properties && Object.keys(schema.properties).length > 0
        ? { kind: "object", schema }
        : { kind: "json" };
    default:
      return { kind: "json" };
  }
}

/** How a JSON value shows in its control. */
export function toRaw(control: Control, value: unknown): Raw {
  switch (control.kind) {
    case "checkbox":
      return value === true;
    case "checkboxes":
      return Array.isArray(value) ? value.map(String) : [];
    case "lines":
      return Array.isArray(value) ? value.map(String).join("\n") : "";
    case "json":
      return value === undefined || value === null ? "" : JSON.stringify(value, null, 2);
    case "object":
      return "";
    default:
      return value === undefined || value === null ? "" : String(value);
  }
}

/** The JSON a raw value stands for; `undefined` for an empty field. Throws on bad JSON. */
export function fromRaw(control: Control, raw: Raw): unknown {
  switch (control.kind) {
    case "checkbox":
      return raw === true;
    case "checkboxes":
      return raw;
    case "lines": {
      const items = String(raw)
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "");
      return control.number ? items.map(Number) : items;
    }
    case "json":
      return String(raw).trim() === "" ? undefined : JSON.parse(String(raw));
    case "text":
      if (String(raw).trim() === "") return undefined;
      return control.number ? Number(raw) : String(raw);
    case "select":
      return raw === "" ? undefined : raw;
    default:
      return undefined;
  }
}

export type RawValues = Record<string, Raw>;

export const pathKey = (path: readonly string[]): string => path.join(".");

/** The raw values of every field of `schema` for the entity `value`. */
export function initialRaw(
  schema: JsonSchema,
  value: Record<string, unknown>,
  prefix: string[] = [],
): RawValues {
  const out: RawValues = {};
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const control = controlFor(field);
    const path = [...prefix, name];
    const v = Object.hasOwn(value, name) ? value[name] : undefined;
    if (control.kind === "object") {
      Object.assign(out, initialRaw(control.schema, (v ?? {}) as Record<string, unknown>, path));
    } else {
      const dflt = unwrap(field).schema.default;
      // a control that always shows a value (checkboxes) starts at the default: left alone, it is not sent
      const showsDefault = control.kind === "checkbox" || control.kind === "checkboxes";
      out[pathKey(path)] = toRaw(control, v === undefined && showsDefault ? dflt : v);
    }
  }
  return out;
}

function sameRaw(a: Raw | undefined, b: Raw | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/**
 * The fields changed from `initial`, as the JSON body of a POST or PATCH: a cleared field is
 * null (`clearAsNull`, for edits) or left out (creation). Throws `FieldError` on invalid JSON.
 */
export function changedBody(
  schema: JsonSchema,
  raw: RawValues,
  initial: RawValues,
  clearAsNull: boolean,
  prefix: string[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const control = controlFor(field);
    const path = [...prefix, name];
    if (control.kind === "object") {
      const sub = changedBody(control.schema, raw, initial, clearAsNull, path);
      if (Object.keys(sub).length > 0) out[name] = sub;
      continue;
    }
    const key = pathKey(path);
    if (!(key in raw) || sameRaw(raw[key], initial[key])) continue;
    let value: unknown;
    try {
      value = fromRaw(control, raw[key]!);
    } catch {
      throw new FieldError(key, "not valid JSON");
    }
    if (value === undefined) {
      if (clearAsNull) out[name] = null;
    } else out[name] = value;
  }
  return out;
}

export class FieldError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Kong's `fields` error tree at one field path, as text: a string as is, a list of item
 * messages as "item 2: …", a nested record flattened as "sub: …".
 */
export function errorAt(fields: unknown, path: readonly string[]): string | undefined {
  let node: unknown = fields;
  for (const p of path) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[p];
  }
  return node === undefined || node === null ? undefined : errorText(node);
}

function errorText(node: unknown): string {
  if (typeof node === "string") return node;
  if (Array.isArray(node)) {
    return node
      .map((v, i) => (v === null || v === undefined ? null : `item ${i + 1}: ${errorText(v)}`))
      .filter((s) => s !== null)
      .join("; ");
  }
  if (node !== null && typeof node === "object") {
    return Object.entries(node)
      .map(([k, v]) => `${k}: ${errorText(v)}`)
      .join("; ");
  }
  return String(node);
}

/** The error paths of a `fields` tree that no rendered field shows (they go in the summary). */
export function unplacedErrors(fields: unknown, schema: JsonSchema, prefix: string[] = []): string[] {
  if (fields === null || typeof fields !== "object" || Array.isArray(fields)) return [];
  const out: string[] = [];
  for (const [name, node] of Object.entries(fields as Record<string, unknown>)) {
    const field = schema.properties?.[name];
    const label = [...prefix, name].join(".");
    if (field === undefined) {
      // the entity's own checks: a list of messages, shown as they are
      if (name === "@entity")
        out.push(...(Array.isArray(node) ? node.map((m) => errorText(m)) : [errorText(node)]));
      else out.push(`${label}: ${errorText(node)}`);
      continue;
    }
    const control = controlFor(field);
    if (control.kind === "object") out.push(...unplacedErrors(node, control.schema, [...prefix, name]));
  }
  return out;
}

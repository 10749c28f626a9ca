/**
 * A small, data-driven schema engine modelled on Kong's `kong.db.schema`: fields with a
 * type, default, `required`, and Kong's validators (one_of, between, len_min, starts_with,
 * match_any/match_none, custom), records with entity checks. It reports errors exactly as
 * Kong words and nests them (see schema/errors.ts), fills defaults, and never throws on
 * malformed input.
 */
import { addMessage, ErrorList, type ErrorRecord, type ErrorTree } from "./errors.js";

export const MSG = {
  ARRAY: "expected an array",
  SET: "expected a set",
  MAP: "expected a map",
  RECORD: "expected a record",
  STRING: "expected a string",
  NUMBER: "expected a number",
  BOOLEAN: "expected a boolean",
  INTEGER: "expected an integer",
  REQUIRED: "required field missing",
  UNKNOWN: "unknown field",
  BETWEEN: (a: number, b: number) => `value should be between ${a} and ${b}`,
  LEN_MIN: (n: number) => `length must be at least ${n}`,
  LEN_MAX: (n: number) => `length must be at most ${n}`,
  ONE_OF: (opts: readonly (string | number)[]) => `expected one of: ${opts.join(", ")}`,
  STARTS_WITH: (s: string) => `should start with: ${s}`,
  MATCH: (v: string) => `invalid value: ${v}`,
  AT_LEAST_ONE_OF: (names: readonly string[]) =>
    `at least one of these fields must be non-empty: ${quotedList(names)}`,
  MUTUALLY_EXCLUSIVE_SETS: (sets: readonly (readonly string[])[]) =>
    `these sets are mutually exclusive: ${sets.map((s) => `(${quotedList(s)})`).join(", ")}`,
  UUID: "expected a valid UUID",
} as const;

export function quotedList(words: readonly string[]): string {
  return words.map((w) => `'${w}'`).join(", ");
}

/** A validator returns an error message, or null when the value is fine. */
export type Check<T> = (value: T) => string | null;

interface FieldBase {
  required?: boolean;
  /** Kong default, deep-copied into the output when the field is absent. */
  default?: unknown;
  description?: string;
  /** Overrides every validator message of this field (Kong's `err`). */
  err?: string;
}

export interface StringField extends FieldBase {
  type: "string";
  oneOf?: readonly string[];
  /** Kong strings are non-empty by default (len_min = 1). */
  lenMin?: number;
  lenMax?: number;
  startsWith?: string;
  uuid?: boolean;
  /** Lua-pattern-like checks as JS regexes: all must match (Kong match_all). */
  matchAll?: ReadonlyArray<{ pattern: RegExp; err: string }>;
  /** At least one must match (Kong match_any). */
  matchAny?: { patterns: readonly RegExp[]; err: string };
  /** None may match (Kong match_none). */
  matchNone?: ReadonlyArray<{ pattern: RegExp; err: string }>;
  /** Kong `match`: value must match, else "invalid value: <v>". */
  match?: RegExp;
  check?: Check<string>;
}

export interface NumberField extends FieldBase {
  type: "integer" | "number";
  oneOf?: readonly number[];
  between?: readonly [number, number];
  check?: Check<number>;
}

export interface BooleanField extends FieldBase {
  type: "boolean";
}

export interface ArrayField extends FieldBase {
  type: "array" | "set";
  elements: Field;
  lenMin?: number;
  lenMax?: number;
  mutuallyExclusiveSubsets?: ReadonlyArray<readonly string[]>;
  check?: Check<unknown[]>;
}

export interface MapField extends FieldBase {
  type: "map";
  keys: StringField;
  values: Field;
}

/** A whole-record check: returns errors to merge (field → message, "@entity" for the record). */
export type RecordCheck = (value: Record<string, unknown>) => ErrorRecord | null;

export interface RecordField extends FieldBase {
  type: "record";
  fields: Readonly<Record<string, Field>>;
  checks?: readonly RecordCheck[];
  /** Kong shorthands: input-only keys rewritten into real fields before validation. */
  shorthands?: Readonly<Record<string, (value: unknown) => Record<string, unknown> | null>>;
  /** Keys accepted and dropped (e.g. `_comment`, `created_at`). */
  ignored?: readonly string[];
}

/** Any JSON value (validated elsewhere, e.g. plugin config by the plugin's own schema). */
export interface AnyField extends FieldBase {
  type: "any";
}

export type Field = StringField | NumberField | BooleanField | ArrayField | MapField | RecordField | AnyField;

export interface Validated {
  value: unknown;
  error?: ErrorTree;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Set an own property, safe for a `__proto__` key coming from JSON (never sets a prototype). */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** An error tree holding `err` at `loc` (lists for numeric steps, records otherwise). */
export function errorTreeAt(loc: readonly (string | number)[], err: ErrorTree): ErrorRecord {
  let tree: ErrorTree = err;
  for (let i = loc.length - 1; i >= 0; i--) {
    const step = loc[i]!;
    if (typeof step === "number") {
      tree = new ErrorList().set(step, tree);
    } else {
      const rec: ErrorRecord = {};
      setOwn(rec, step, tree);
      tree = rec;
    }
  }
  return tree as ErrorRecord;
}

/** Deep copy of a JSON-like default value (defaults are small literals). */
export function cloneDefault(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(cloneDefault);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) setOwn(out, k, cloneDefault(x));
  return out;
}

/** Validate `value` (never undefined here) against `field`. */
export function validateField(field: Field, value: unknown): Validated {
  if (value === null) return { value: null };
  switch (field.type) {
    case "string":
      return validateString(field, value);
    case "integer":
    case "number":
      return validateNumber(field, value);
    case "boolean":
      return typeof value === "boolean" ? { value } : { value, error: MSG.BOOLEAN };
    case "array":
    case "set":
      return validateArray(field, value);
    case "map":
      return validateMap(field, value);
    case "record":
      return validateRecord(field, value);
    case "any":
      return { value };
  }
}

function validateString(field: StringField, value: unknown): Validated {
  if (typeof value !== "string") return { value, error: MSG.STRING };
  const fail = (msg: string): Validated => ({ value, error: field.err ?? msg });
  if (field.oneOf && !field.oneOf.includes(value)) return fail(MSG.ONE_OF(field.oneOf));
  if (field.uuid && !UUID_RE.test(value)) return fail(MSG.UUID);
  const lenMin = field.lenMin ?? 1;
  if (value.length < lenMin) return fail(MSG.LEN_MIN(lenMin));
  if (field.lenMax !== undefined && value.length > field.lenMax) return fail(MSG.LEN_MAX(field.lenMax));
  if (field.startsWith !== undefined && !value.startsWith(field.startsWith))
    return fail(MSG.STARTS_WITH(field.startsWith));
  for (const m of field.matchNone ?? []) if (m.pattern.test(value)) return fail(m.err);
  if (field.match && !field.match.test(value)) return fail(MSG.MATCH(value));
  for (const m of field.matchAll ?? []) if (!m.pattern.test(value)) return fail(m.err);
  if (field.matchAny && !field.matchAny.patterns.some((p) => p.test(value))) return fail(field.matchAny.err);
  const custom = field.check?.(value);
  if (custom) return fail(custom);
  return { value };
}

function validateNumber(field: NumberField, value: unknown): Validated {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return { value, error: field.type === "integer" ? MSG.INTEGER : MSG.NUMBER };
  }
  if (field.type === "integer" && !Number.isInteger(value)) return { value, error: MSG.INTEGER };
  const fail = (msg: string): Validated => ({ value, error: field.err ?? msg });
  if (field.oneOf && !field.oneOf.includes(value)) return fail(MSG.ONE_OF(field.oneOf));
  if (field.between && (value < field.between[0] || value > field.between[1]))
    return fail(MSG.BETWEEN(field.between[0], field.between[1]));
  const custom = field.check?.(value);
  if (custom) return fail(custom);
  return { value };
}

function validateArray(field: ArrayField, value: unknown): Validated {
  // Kong (cjson) decodes `{}` as an empty table, which is also an empty array.
  if (isPlainObject(value) && Object.keys(value).length === 0) value = [];
  if (!Array.isArray(value)) return { value, error: field.type === "set" ? MSG.SET : MSG.ARRAY };
  const out: unknown[] = [];
  const errs = new ErrorList();
  value.forEach((item, i) => {
    if (item === null || item === undefined) {
      // cjson turns null holes into ngx.null; Kong then reports the element as missing.
      errs.set(i, MSG.REQUIRED);
      return;
    }
    const r = validateField(field.elements, item);
    if (r.error !== undefined) errs.set(i, r.error);
    out.push(r.value);
  });
  if (errs.size > 0) return { value: out, error: errs };
  // a copy of exactly its length: an array grown by push keeps room for 17 elements, and a
  // big configuration holds tens of thousands of these one-element lists (paths, hosts…)
  const result = (field.type === "set" ? dedupe(out) : out).slice();
  if (field.lenMin !== undefined && result.length < field.lenMin)
    return { value: result, error: field.err ?? MSG.LEN_MIN(field.lenMin) };
  if (field.lenMax !== undefined && result.length > field.lenMax)
    return { value: result, error: field.err ?? MSG.LEN_MAX(field.lenMax) };
  if (field.mutuallyExclusiveSubsets) {
    const hit: (readonly string[])[] = [];
    for (const v of result) {
      const subset = field.mutuallyExclusiveSubsets.find((s) => s.includes(v as string));
      if (subset && !hit.includes(subset)) hit.push(subset);
    }
    if (hit.length > 1) return { value: result, error: MSG.MUTUALLY_EXCLUSIVE_SETS(hit) };
  }
  const custom = field.check?.(result);
  if (custom) return { value: result, error: field.err ?? custom };
  return { value: result };
}

function dedupe(items: unknown[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const item of items) {
    const key = typeof item === "string" ? `s:${item}` : `j:${JSON.stringify(item)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}

function validateMap(field: MapField, value: unknown): Validated {
  if (!isPlainObject(value)) return { value, error: MSG.MAP };
  const out: Record<string, unknown> = {};
  const errs: ErrorRecord = {};
  for (const [k, v] of Object.entries(value)) {
    const kr = validateString(field.keys, k);
    if (kr.error !== undefined) {
      setOwn(errs, k, kr.error);
      continue;
    }
    if (v === null || v === undefined) {
      setOwn(errs, k, MSG.REQUIRED);
      continue;
    }
    const vr = validateField(field.values, v);
    if (vr.error !== undefined) setOwn(errs, k, vr.error);
    setOwn(out, k, vr.value);
  }
  return Object.keys(errs).length > 0 ? { value: out, error: errs } : { value: out };
}

const fieldEntries = new WeakMap<RecordField, Array<[string, Field]>>();

function entriesOf(field: RecordField): Array<[string, Field]> {
  let entries = fieldEntries.get(field);
  if (!entries) {
    entries = Object.entries(field.fields);
    fieldEntries.set(field, entries);
  }
  return entries;
}

/** Validate a record: known fields in order, defaults, unknown fields, then record checks. */
export function validateRecord(field: RecordField, value: unknown): Validated {
  if (!isPlainObject(value)) return { value, error: MSG.RECORD };
  let input: Record<string, unknown> = value;
  const errs: ErrorRecord = {};
  if (field.shorthands) {
    for (const [name, expand] of Object.entries(field.shorthands)) {
      if (!Object.hasOwn(input, name)) continue;
      const expanded = expand(input[name]);
      const rest: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(input)) if (k !== name) setOwn(rest, k, v);
      if (expanded === null) {
        setOwn(errs, name, MSG.MATCH(String(input[name])));
      } else {
        for (const [k, v] of Object.entries(expanded))
          if (!Object.hasOwn(rest, k) || v !== undefined) setOwn(rest, k, v);
      }
      input = rest;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, def] of entriesOf(field)) {
    const raw = Object.hasOwn(input, name) ? input[name] : undefined;
    if (raw === undefined || (raw === null && def.required && def.default !== undefined)) {
      if (def.default !== undefined) {
        // a record default is itself filled with its fields' defaults
        const d = cloneDefault(def.default);
        setOwn(out, name, def.type === "record" ? validateRecord(def, d).value : d);
      } else if (def.required) {
        setOwn(errs, name, MSG.REQUIRED);
      } else {
        setOwn(out, name, null);
      }
      continue;
    }
    if (raw === null && def.required) {
      setOwn(errs, name, MSG.REQUIRED);
      continue;
    }
    const r = validateField(def, raw);
    if (r.error !== undefined) setOwn(errs, name, r.error);
    setOwn(out, name, r.value);
  }
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(field.fields, key) && !field.ignored?.includes(key)) setOwn(errs, key, MSG.UNKNOWN);
  }
  if (Object.keys(errs).length === 0) {
    for (const check of field.checks ?? []) {
      const res = check(out);
      if (!res) continue;
      for (const [k, v] of Object.entries(res)) {
        if (k === "@entity" && typeof v === "string") {
          const list = errs["@entity"] instanceof ErrorList ? errs["@entity"] : new ErrorList();
          list.set(list.size, v);
          errs["@entity"] = list;
        } else if (typeof v === "string") addMessage(errs, k, v);
        else setOwn(errs, k, v);
      }
    }
  }
  return Object.keys(errs).length > 0 ? { value: out, error: errs } : { value: out };
}

/** Kong `is_nonempty`: not null/undefined, not "", not an empty array or object. */
export function isNonEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** Entity check: at_least_one_of. Errors go to "@entity" as Kong does. */
export function atLeastOneOf(names: readonly string[], message?: string): RecordCheck {
  return (v) =>
    names.some((n) => isNonEmpty(v[n])) ? null : { "@entity": message ?? MSG.AT_LEAST_ONE_OF(names) };
}

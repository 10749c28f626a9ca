/**
 * Kong's DAO errors (kong/db/errors.lua) as the Admin API sends them: `{ code, name,
 * message }`, plus `fields` for schema violations and `options` for invalid options.
 */
import {
  type ErrorRecord,
  type ErrorTree,
  errorTreeToJson,
  errorTreeToLua,
  isErrorList,
} from "../config/schema/errors.js";

const DB_ERRORS = {
  SCHEMA_VIOLATION: { code: 2, name: "schema violation" },
  NOT_FOUND: { code: 6, name: "not found" },
  INVALID_OFFSET: { code: 7, name: "invalid offset" },
  INVALID_SIZE: { code: 9, name: "invalid size" },
  INVALID_OPTIONS: { code: 11, name: "invalid options" },
  OPERATION_UNSUPPORTED: { code: 12, name: "operation unsupported" },
} as const;

export type DbErrorKind = keyof typeof DB_ERRORS;

export interface DbError {
  code: number;
  name: string;
  message: string;
  fields?: unknown;
  options?: Record<string, string>;
}

export function dbError(kind: DbErrorKind, message: string): DbError {
  return { ...DB_ERRORS[kind], message };
}

/** Kong's invalid_options: "invalid option (tags: …)" with the options by name. */
export function invalidOptions(options: Record<string, string>): DbError {
  const parts = Object.keys(options)
    .sort()
    .map((k) => `${k}: ${options[k]}`);
  const message =
    parts.length === 1
      ? `invalid option (${parts[0]})`
      : `${parts.length} option violations (${parts.join("; ")})`;
  return { ...dbError("INVALID_OPTIONS", message), options };
}

/**
 * Kong's schema_violation: entity-level messages first, then one `field: message` per field
 * in name order (`field.sub: …` one level down, deeper trees printed as Penlight does).
 */
export function schemaViolation(errors: ErrorRecord): DbError {
  const parts: string[] = [];
  const entity = errors["@entity"];
  if (entity !== undefined) parts.push(...leafMessages(entity));
  for (const field of Object.keys(errors).sort()) {
    if (field === "@entity") continue;
    const err = errors[field]!;
    if (typeof err === "string") {
      parts.push(`${field}: ${err}`);
      continue;
    }
    for (const [sub, value] of subEntries(err)) {
      parts.push(`${field}.${sub}: ${typeof value === "string" ? value : errorTreeToLua(value, "  ")}`);
    }
  }
  const message =
    parts.length === 1
      ? `schema violation (${parts[0]})`
      : `${parts.length} schema violations (${parts.join("; ")})`;
  return { ...dbError("SCHEMA_VIOLATION", message), fields: errorTreeToJson(errors) };
}

/** A tree's direct entries as Lua iterates them in Kong's sorted_keys: lists by 1-based index. */
function subEntries(tree: Exclude<ErrorTree, string>): Array<[string, ErrorTree]> {
  if (isErrorList(tree)) {
    return [...tree.items.entries()].sort((a, b) => a[0] - b[0]).map(([i, v]) => [String(i + 1), v]);
  }
  return Object.keys(tree)
    .sort()
    .map((k) => [k, tree[k]!]);
}

function leafMessages(tree: ErrorTree): string[] {
  if (typeof tree === "string") return [tree];
  return subEntries(tree).flatMap(([, v]) => leafMessages(v));
}

/**
 * A DAO key as Penlight's `pretty.write(t, "")` prints it in Kong's messages (`{id="…"}`,
 * `{consumer=null,name="x",service={id="…"}}`): keys sorted, strings quoted, JSON null as `null`
 * (Kong's unique_violation turns "userdata: NULL" into null).
 */
export function luaKey(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string")
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
  if (typeof value !== "object") return String(value);
  if (Array.isArray(value)) return `{${value.map(luaKey).join(",")}}`;
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .sort()
    .map((k) => `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `[${luaKey(k)}]`}=${luaKey(record[k])}`);
  return `{${entries.join(",")}}`;
}

/**
 * Kong's declarative-config error (kong/db/errors.lua `declarative_config` and
 * `declarative_config_flattened`): `{ code: 14, name, message, fields, flattened_errors }`.
 * `fields` nests errors like the document; `message` prints them as a Lua table;
 * `flattened_errors` lists one record per invalid entity with dotted field paths.
 */

import { NESTED_CHILDREN } from "./kinds.js";
import {
  type ErrorRecord,
  type ErrorTree,
  errorTreeToJson,
  errorTreeToLua,
  isErrorList,
  isErrorRecord,
} from "./schema/errors.js";
import { isPlainObject } from "./schema/fields.js";
import type { DeclarativeConfigError } from "./types.js";

export interface FlattenedFieldError {
  type: "field";
  field: string;
  message: string;
}
export interface FlattenedEntityError {
  type: "entity";
  message: string;
}
export interface FlattenedError {
  entity_type: string;
  entity_name?: string;
  entity_id?: string;
  entity_tags?: string[];
  entity: Record<string, unknown>;
  errors: Array<FlattenedFieldError | FlattenedEntityError>;
}

export function declarativeError(fields: ErrorRecord, input?: unknown): DeclarativeConfigError {
  return {
    code: 14,
    name: "invalid declarative configuration",
    message: `declarative config is invalid: ${errorTreeToLua(fields)}`,
    fields: errorTreeToJson(fields) as Record<string, unknown>,
    flattened_errors: isPlainObject(input) ? flattenErrors(input, fields) : [],
  };
}

/** A document-level failure (unparseable text, not an object): Kong's `{ error = msg }`. */
export function documentError(message: string): DeclarativeConfigError {
  return declarativeError({ error: message });
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function singular(noun: string): string {
  return noun.endsWith("s") ? noun.slice(0, -1) : noun;
}

function flattenErrors(input: Record<string, unknown>, fields: ErrorRecord): FlattenedError[] {
  const out: FlattenedError[] = [];
  for (const key of Object.keys(fields).sort()) {
    const sectionErrors = fields[key];
    const entities = input[key];
    if (!isErrorList(sectionErrors) || !Array.isArray(entities)) continue;
    for (const [i, err] of [...sectionErrors.items].sort((a, b) => a[0] - b[0])) {
      const entity = entities[i];
      if (isPlainObject(entity) && isErrorRecord(err)) addEntityErrors(key, entity, err, out);
    }
  }
  return out;
}

function addEntityErrors(
  entityType: string,
  entity: Record<string, unknown>,
  errs: ErrorRecord,
  out: FlattenedError[],
): void {
  const own: ErrorRecord = { ...errs };
  const copy: Record<string, unknown> = { ...entity };
  const children = NESTED_CHILDREN[entityType] ?? {};
  for (const [childKey, fk] of Object.entries(children)) {
    const childErrs = own[childKey];
    const childItems = entity[childKey];
    if (!Array.isArray(childItems)) continue;
    delete copy[childKey];
    delete own[childKey];
    if (!isErrorList(childErrs)) continue;
    for (const [i, e] of [...childErrs.items].sort((a, b) => a[0] - b[0])) {
      const item = childItems[i];
      if (!isPlainObject(item) || !isErrorRecord(e)) continue;
      const withParent = { ...item };
      if (withParent[fk] === undefined && typeof entity.id === "string" && UUID_RE.test(entity.id)) {
        withParent[fk] = { id: entity.id };
      }
      addEntityErrors(childKey, withParent, e, out);
    }
  }
  if (Object.keys(own).length === 0) return;
  const errors: FlattenedError["errors"] = [];
  categorize(own, "", errors);
  if (errors.length === 0) return;
  const record: FlattenedError = { entity_type: singular(entityType), entity: copy, errors };
  if (typeof entity.name === "string" && entity.name.length > 0) record.entity_name = entity.name;
  if (typeof entity.id === "string" && UUID_RE.test(entity.id)) record.entity_id = entity.id;
  if (Array.isArray(entity.tags) && entity.tags.every((x) => typeof x === "string")) {
    record.entity_tags = entity.tags as string[];
  }
  out.push(record);
}

function categorize(errs: ErrorTree, ns: string, out: FlattenedError["errors"]): void {
  const join = (field: string) => (ns === "" ? field : `${ns}.${field}`);
  if (typeof errs === "string") {
    out.push({ type: "field", field: ns, message: errs });
    return;
  }
  if (isErrorList(errs)) {
    for (const [i, e] of [...errs.items].sort((a, b) => a[0] - b[0])) categorize(e, join(String(i + 1)), out);
    return;
  }
  for (const key of Object.keys(errs).sort()) {
    const e = errs[key]!;
    if (key === "@entity") {
      const messages = typeof e === "string" ? [e] : isErrorList(e) ? [...e.items.values()] : [];
      for (const m of messages) if (typeof m === "string") out.push({ type: "entity", message: m });
      continue;
    }
    categorize(e, join(key), out);
  }
}

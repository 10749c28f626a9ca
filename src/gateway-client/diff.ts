/**
 * `deck gateway diff`'s comparison: what a declarative file asks for against what one gateway
 * holds, entity by entity — added (in the file, not in the gateway), changed (the fields that
 * differ, with both values), removed (in the gateway, not in the file).
 *  - An entity is matched by its id (the gateway's loader gives the file's entities Kong's
 *    deterministic ids), else by its unique key (a name, a username, a plugin's scope…).
 *  - With a tag (database mode) only the gateway's entities carrying it are compared: those
 *    made through the Admin API are not the file's business (what `stack gateway sync` leaves).
 *  - Secrets are never shown: values pass through the Admin API's own redaction (credential
 *    secrets, plugin config fields named like secrets), and a secret the gateway redacts
 *    compares equal to any (sync's rule, `sameValue`).
 */
import { CREDENTIAL_SECRETS, REDACTED, redactSecrets } from "../gateway/admin/redact.js";
import type { KindName } from "../gateway/config/kinds.js";
import { type AdminEntity, labelOf, uniqueKeys, WRITE_ORDER } from "./collections.js";
import type { DesiredState } from "./desired.js";
import { hasTag, type LiveState } from "./live-state.js";
import { differingFields, sameValue } from "./plan.js";

export interface EntityRef {
  kind: KindName;
  id: string;
  label: string;
}

export interface FieldChange {
  field: string;
  /** the gateway's value (redacted) */
  from: unknown;
  /** the file's value (redacted) */
  to: unknown;
}

export interface EntityDiff {
  added: EntityRef[];
  changed: Array<EntityRef & { fields: FieldChange[] }>;
  removed: EntityRef[];
  /** entities found equal */
  unchanged: number;
}

export function diffStates(desired: DesiredState, live: LiveState, opts: { tag?: string } = {}): EntityDiff {
  const out: EntityDiff = { added: [], changed: [], removed: [], unchanged: 0 };
  const tag = opts.tag;
  for (const kind of WRITE_ORDER) {
    const current = (live.get(kind) ?? []).filter((e) => tag === undefined || hasTag(e, tag));
    const byId = new Map(current.map((e) => [e.id, e]));
    const byKey = new Map<string, AdminEntity>();
    for (const e of current) for (const k of uniqueKeys(kind, e)) byKey.set(k, e);
    const matched = new Set<string>();
    for (const d of desired.get(kind) ?? []) {
      const have =
        byId.get(d.id) ??
        uniqueKeys(kind, d)
          .map((k) => byKey.get(k))
          .find((e) => e !== undefined && !matched.has(e.id));
      const ref = { kind, id: d.id, label: labelOf(kind, d) };
      if (have === undefined || matched.has(have.id)) {
        out.added.push(ref);
        continue;
      }
      matched.add(have.id);
      const fields = differingFields(kind, d, have);
      if (fields.length === 0) {
        out.unchanged++;
        continue;
      }
      out.changed.push({
        ...ref,
        fields: fields.flatMap((field) =>
          leafChanges(field, shown(kind, field, have[field]), shown(kind, field, d[field])),
        ),
      });
    }
    for (const e of current)
      if (!matched.has(e.id)) out.removed.push({ kind, id: e.id, label: labelOf(kind, e) });
  }
  return out;
}

export function isEmptyDiff(diff: EntityDiff): boolean {
  return diff.added.length === 0 && diff.changed.length === 0 && diff.removed.length === 0;
}

/**
 * Where two values differ: an object field by the paths of its differing members
 * (`healthchecks.active.http_path`), anything else as a whole.
 */
function leafChanges(path: string, from: unknown, to: unknown): FieldChange[] {
  if (!isRecord(from) || !isRecord(to)) return [{ field: path, from, to }];
  const out: FieldChange[] = [];
  for (const key of [...new Set([...Object.keys(to), ...Object.keys(from)])].sort()) {
    if (!sameValue(to[key], from[key]))
      out.push(...leafChanges(`${path}.${key}`, from[key] ?? null, to[key] ?? null));
  }
  return out.length > 0 ? out : [{ field: path, from, to }];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A field's value as it may be printed: the Admin API's redaction of that kind's secrets. */
function shown(kind: KindName, field: string, value: unknown): unknown {
  if (value === undefined) return null;
  if (CREDENTIAL_SECRETS[kind]?.includes(field))
    return typeof value === "string" && value.trim().startsWith("{vault://") ? value : REDACTED;
  if (kind === "plugins" && field === "config") return redactSecrets(value);
  return value;
}

/**
 * decK's sync plan: what the file asks for against what the gateway holds, limited to the
 * entities carrying the select tag.
 *  - an entity of the file absent from the gateway is created (with the loader's deterministic id);
 *  - one present and tagged is updated only when a field differs (so a second sync writes nothing);
 *  - a tagged gateway entity absent from the file is deleted;
 *  - an untagged gateway entity is never touched: a file entity with its id or one of its unique
 *    keys (name, username, key, plugin scope…) is a conflict, and so is deleting a tagged entity
 *    an untagged one depends on (the gateway would cascade into it, or refuse) — all found before
 *    any write.
 * Secrets the Admin API redacts and vault references (resolved in the gateway) compare as equal.
 */

import { dependantsOf } from "../gateway/admin/db-writes.js";
import type { KindName } from "../gateway/config/kinds.js";
import {
  type AdminEntity,
  DELETE_ORDER,
  labelOf,
  REDACTED,
  refId,
  uniqueKeys,
  WRITE_ORDER,
} from "./collections.js";
import type { DesiredState } from "./desired.js";
import { hasTag, type LiveState } from "./live-state.js";

export type ChangeAction = "create" | "update" | "delete";

export interface PlannedChange {
  action: ChangeAction;
  kind: KindName;
  id: string;
  label: string;
  /** create/update: the entity to write */
  desired?: AdminEntity;
  /** update/delete: the entity as the gateway holds it */
  current?: AdminEntity;
  /** update: the fields that differ */
  fields?: string[];
  /** delete: must run before the creates (it holds a unique key a new entity takes over) */
  early?: boolean;
}

export interface Conflict {
  kind: KindName;
  id: string;
  label: string;
  reason: string;
}

export interface SyncPlan {
  /** in execution order: early deletes, creates/updates parents first, deletes children first */
  changes: PlannedChange[];
  conflicts: Conflict[];
  /** tagged entities found equal (no write) */
  unchanged: number;
}

export function planSync(desired: DesiredState, live: LiveState, tag: string): SyncPlan {
  const conflicts: Conflict[] = [];
  const liveById = new Map<string, { kind: KindName; entity: AdminEntity }>();
  const liveByKey = new Map<string, AdminEntity>();
  for (const kind of WRITE_ORDER) {
    for (const e of live.get(kind) ?? []) {
      liveById.set(`${kind}:${e.id}`, { kind, entity: e });
      for (const k of uniqueKeys(kind, e)) liveByKey.set(`${kind}:${k}`, e);
    }
  }
  const desiredIds = new Set<string>();
  for (const kind of WRITE_ORDER) for (const d of desired.get(kind) ?? []) desiredIds.add(`${kind}:${d.id}`);

  const writes: PlannedChange[] = [];
  const early = new Set<string>();
  let unchanged = 0;
  for (const kind of WRITE_ORDER) {
    for (const d of desired.get(kind) ?? []) {
      const label = labelOf(kind, d);
      const current = liveById.get(`${kind}:${d.id}`)?.entity;
      if (current !== undefined && !hasTag(current, tag)) {
        conflicts.push({ kind, id: d.id, label, reason: `exists in the gateway without the tag '${tag}'` });
        continue;
      }
      let blocked = false;
      for (const key of uniqueKeys(kind, d)) {
        const holder = liveByKey.get(`${kind}:${key}`);
        if (holder === undefined || holder.id === d.id) continue;
        if (!hasTag(holder, tag)) {
          conflicts.push({
            kind,
            id: d.id,
            label,
            reason: `${key} is taken by ${holder.id}, which does not carry the tag '${tag}'`,
          });
          blocked = true;
        } else if (!desiredIds.has(`${kind}:${holder.id}`)) early.add(`${kind}:${holder.id}`);
      }
      if (blocked) continue;
      if (current === undefined) {
        writes.push({ action: "create", kind, id: d.id, label, desired: d });
        continue;
      }
      const fields = differingFields(kind, d, current);
      if (fields.length === 0) unchanged++;
      else writes.push({ action: "update", kind, id: d.id, label, desired: d, current, fields });
    }
  }

  const deletes: PlannedChange[] = [];
  for (const kind of DELETE_ORDER) {
    for (const e of live.get(kind) ?? []) {
      if (!hasTag(e, tag) || desiredIds.has(`${kind}:${e.id}`)) continue;
      const label = labelOf(kind, e);
      for (const dep of dependantsOf(kind)) {
        for (const child of live.get(dep.kind) ?? []) {
          if (refId(child[dep.field]) !== e.id || hasTag(child, tag)) continue;
          const effect = dep.onDelete === "cascade" ? "would delete" : "is referenced by";
          conflicts.push({
            kind,
            id: e.id,
            label,
            reason: `deleting it ${effect} ${labelOf(dep.kind, child)} (${child.id}), which does not carry the tag '${tag}'`,
          });
        }
      }
      const isEarly = early.has(`${kind}:${e.id}`);
      deletes.push({
        action: "delete",
        kind,
        id: e.id,
        label,
        current: e,
        ...(isEarly ? { early: true } : {}),
      });
    }
  }
  return {
    changes: [...deletes.filter((c) => c.early), ...writes, ...deletes.filter((c) => !c.early)],
    conflicts,
    unchanged,
  };
}

/** Fields the gateway never shows as written: basic-auth passwords (Kong stores a salted hash). */
const UNCOMPARABLE: Readonly<Partial<Record<KindName, readonly string[]>>> = {
  basicauth_credentials: ["password"],
};

/** Fields of the desired entity whose value differs from the gateway's. */
export function differingFields(kind: KindName, desired: AdminEntity, current: AdminEntity): string[] {
  const out: string[] = [];
  for (const [field, value] of Object.entries(desired)) {
    if (field === "id" || UNCOMPARABLE[kind]?.includes(field)) continue;
    if (!sameValue(value, current[field])) out.push(field);
  }
  return out;
}

function isVaultReference(v: unknown): boolean {
  return typeof v === "string" && v.trim().startsWith("{vault://");
}

/** Deep equality where null ≡ absent, a redacted gateway value or a vault reference matches any. */
export function sameValue(want: unknown, have: unknown): boolean {
  if (have === REDACTED || isVaultReference(want)) return true;
  if (want === undefined || want === null) return have === undefined || have === null;
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => sameValue(w, have[i]));
  }
  if (typeof want === "object") {
    if (typeof have !== "object" || have === null || Array.isArray(have)) return false;
    const a = want as Record<string, unknown>;
    const b = have as Record<string, unknown>;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!sameValue(a[k], b[k])) return false;
    return true;
  }
  return want === have;
}

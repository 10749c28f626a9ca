/**
 * Foreign keys of a database-mode write as Kong's DAO takes them: a foreign key given by the
 * referenced entity's endpoint key (`"service": {"name": "orders"}`) is resolved to its id, or
 * refused with Kong's code-13 "foreign keys unresolved" (kong/db/dao/init.lua resolve_foreign);
 * and `PUT /routes/{route}/service` (kong/api/endpoints.lua put_entity_endpoint of a foreign
 * entity): the route's service replaced, or created and associated when the route has none.
 */
import { KINDS, type KindName } from "../config/kinds.js";
import { isPlainObject } from "../config/schema/fields.js";
import type { StoreTransaction } from "../store/postgres/store.js";
import type { EntityOutcome } from "./db-writes.js";
import { luaKey } from "./errors.js";

/** Kong's foreign_keys_unresolved for one field. */
function unresolved(field: string, key: string, value: unknown, ref: KindName): EntityOutcome {
  const why = `the foreign key cannot be resolved with '${luaKey({ [key]: value })}' for an existing '${ref}' entity`;
  return {
    status: 400,
    body: {
      code: 13,
      name: "foreign keys unresolved",
      message: `foreign key unresolved (${field}.${key}: ${why})`,
      fields: { [field]: { [key]: why } },
    },
  };
}

/**
 * Foreign keys of `record` given by endpoint key instead of id, replaced by `{ id }` (in place);
 * the error when one names no entity.
 */
export async function resolveForeignKeys(
  tx: StoreTransaction,
  kind: KindName,
  record: Record<string, unknown>,
): Promise<EntityOutcome | null> {
  for (const [field, ref] of Object.entries(KINDS[kind].foreign)) {
    const value = record[field];
    const key = KINDS[ref].endpointKey;
    if (!isPlainObject(value) || value.id !== undefined || key === undefined) continue;
    const given = value[key];
    if (typeof given !== "string") continue;
    const found = await tx.findBy(ref, key, given);
    if (found === null) return unresolved(field, key, given, ref);
    record[field] = { id: found.id };
  }
  return null;
}

/** The entity a foreign key of an existing entity points to (`/routes/{route}/service`). */
export interface ForeignOwner {
  kind: KindName;
  id: string;
  field: string;
}

/**
 * After a new entity was created for `owner`'s unset foreign key: the owner now points at it.
 * (The caller created it; this associates it in the same transaction.)
 */
export async function associate(tx: StoreTransaction, owner: ForeignOwner, id: string): Promise<void> {
  const record = await tx.get(owner.kind, owner.id);
  if (record === null) return;
  await tx.replace(owner.kind, { ...record, [owner.field]: { id } });
}

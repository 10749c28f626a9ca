/**
 * Unique fields of Kong's entities that the database has no index for (a plugin's
 * `instance_name`): checked inside the write transaction, so a taken value is Kong's 409 unique
 * constraint violation rather than the whole-state load refusing it. The writers' advisory lock
 * makes the check race-free across replicas.
 */
import { KINDS, type KindName } from "../config/kinds.js";
import { UNIQUE_CONSTRAINTS } from "../store/postgres/schema.js";
import type { StoreTransaction } from "../store/postgres/store.js";
import type { EntityOutcome } from "./db-writes.js";
import { luaKey } from "./errors.js";

function unindexed(kind: KindName): string[] {
  const indexed = new Set(
    UNIQUE_CONSTRAINTS.filter((c) => c.kind === kind && Object.keys(c.fields).length === 1).map(
      (c) => Object.keys(c.fields)[0]!,
    ),
  );
  return KINDS[kind].unique.filter((f) => !indexed.has(f));
}

/** 409 when another entity of `kind` holds one of the record's unindexed unique values. */
export async function checkUnindexedUnique(
  tx: StoreTransaction,
  kind: KindName,
  record: { id: string } & Record<string, unknown>,
): Promise<EntityOutcome | null> {
  for (const field of unindexed(kind)) {
    const value = record[field];
    if (typeof value !== "string") continue;
    const holder = await tx.findBy(kind, field, value);
    if (holder === null || holder.id === record.id) continue;
    return {
      status: 409,
      body: {
        code: 5,
        name: "unique constraint violation",
        message: `UNIQUE violation detected on '${luaKey({ [field]: value })}'`,
        fields: { [field]: value },
      },
    };
  }
  return null;
}

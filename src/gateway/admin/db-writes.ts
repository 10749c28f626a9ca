/**
 * Entity writes in database mode, as Kong's DAO makes them (kong/db/dao/init.lua): the body was
 * already decoded and checked against the entity's schema (writes.ts); here it is stored in one
 * transaction — a new id for an insert, every foreign key checked to point at an existing entity
 * (Kong's 400 foreign key violation), unique fields enforced by the database (409 unique
 * constraint violation), deletes following each foreign key's `on_delete` (cascade, restrict with
 * Kong's 400, or null), credentials Kong generates (key-auth `key`, jwt `key` and `secret`) filled
 * in. The server validates the resulting whole state with the declarative loader before commit.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { ENTITIES, type Reference, referencesTo } from "../config/entities/index.js";
import { KINDS, type KindName } from "../config/kinds.js";
import { isPlainObject } from "../config/schema/fields.js";
import { hashClientSecret, isHashedSecret } from "../plugins/oauth2/secret.js";
import type { StoreTransaction } from "../store/postgres/store.js";
import { UniqueViolation } from "../store/postgres/store.js";
import type { StoredRecord } from "../store/types.js";
import { resolveForeignKeys } from "./db-foreign.js";
import { checkUnindexedUnique } from "./db-unique.js";
import { luaKey } from "./errors.js";

export type EntityOutcome =
  | { status: 200 | 201; kind: KindName; id: string }
  | { status: 204 }
  | { status: 400 | 404 | 409; body: Record<string, unknown> };

/** A foreign key of `kind` pointing at `parent`, and what deleting the parent does to it. */
export type Dependant = Reference;

/**
 * The foreign keys pointing at `parent`, with Kong's on_delete as each entity file declares it
 * (config/entities/<kind>.ts; unset in Kong: restrict).
 */
export function dependantsOf(parent: KindName): readonly Dependant[] {
  return referencesTo(parent);
}

/** Kong's random_string(): 32 hex characters. */
const randomString = () => randomBytes(16).toString("hex");

/** Values Kong generates when the body leaves them out (`auto = true` fields). */
function withGenerated(kind: KindName, record: StoredRecord): StoredRecord {
  if (kind === "keyauth_credentials" && (record.key === undefined || record.key === null))
    record.key = randomString();
  if (kind === "hmacauth_credentials" && (record.secret === undefined || record.secret === null))
    record.secret = randomString();
  if (kind === "jwt_secrets") {
    if (record.key === undefined || record.key === null) record.key = randomString();
    const asymmetric = typeof record.algorithm === "string" && /^(RS|ES|PS|Ed)/.test(record.algorithm);
    if (!asymmetric && (record.secret === undefined || record.secret === null))
      record.secret = randomString();
  }
  if (kind === "oauth2_credentials" || kind === "oauth2_tokens" || kind === "oauth2_authorization_codes")
    ENTITIES[kind].generate?.(record);
  // Kong's transformation: with hash_secret the client secret is stored as its PBKDF2 hash (a
  // `{vault://…}` reference stays one: the secret is in the vault, compared once resolved)
  if (
    kind === "oauth2_credentials" &&
    record.hash_secret === true &&
    typeof record.client_secret === "string" &&
    !isHashedSecret(record.client_secret) &&
    !record.client_secret.trim().startsWith("{vault://")
  )
    record.client_secret = hashClientSecret(record.client_secret);
  return record;
}

function foreignViolation(field: string, value: unknown, ref: KindName): EntityOutcome {
  const key = isPlainObject(value) ? value : { id: value };
  return {
    status: 400,
    body: {
      code: 4,
      name: "foreign key violation",
      message: `the foreign key '${luaKey(key)}' does not reference an existing '${ref}' entity.`,
      fields: { [field]: key },
    },
  };
}

/** Every foreign key of the record must name an existing entity (by id). */
async function checkForeign(
  tx: StoreTransaction,
  kind: KindName,
  record: StoredRecord,
): Promise<EntityOutcome | null> {
  const unresolved = await resolveForeignKeys(tx, kind, record);
  if (unresolved) return unresolved;
  for (const [field, ref] of Object.entries(KINDS[kind].foreign)) {
    const value = record[field];
    if (value === undefined || value === null) continue;
    const id = isPlainObject(value) ? value.id : undefined;
    if (typeof id !== "string" || (await tx.get(ref, id.toLowerCase())) === null) {
      return foreignViolation(field, value, ref);
    }
    record[field] = { id: id.toLowerCase() };
  }
  return null;
}

function uniqueOutcome(err: UniqueViolation): EntityOutcome {
  const fields: Record<string, unknown> = {};
  for (const field of Object.keys(err.constraint.fields)) {
    const v = err.record[field];
    fields[field] = v === undefined ? null : v;
  }
  const lua = luaKey(fields);
  return {
    status: 409,
    body: {
      code: 5,
      name: "unique constraint violation",
      message: `UNIQUE violation detected on '${lua}'`,
      fields,
    },
  };
}

async function guarded(run: () => Promise<EntityOutcome>): Promise<EntityOutcome> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UniqueViolation) return uniqueOutcome(err);
    throw err;
  }
}

/** POST: a new entity (the body's id if it gave one, else a new one). */
export function insertEntity(
  tx: StoreTransaction,
  kind: KindName,
  input: Record<string, unknown>,
): Promise<EntityOutcome> {
  return guarded(async () => {
    const id = typeof input.id === "string" ? input.id.toLowerCase() : randomUUID();
    const record = withGenerated(kind, { ...input, id });
    const bad = await checkForeign(tx, kind, record);
    if (bad) return bad;
    if ((await tx.get(kind, id)) !== null) {
      return {
        status: 400,
        body: {
          code: 3,
          name: "primary key violation",
          message: `primary key violation on key '${luaKey({ id })}'`,
          fields: { id },
        },
      };
    }
    const taken = await checkUnindexedUnique(tx, kind, record);
    if (taken) return taken;
    await tx.insert(kind, record);
    return { status: 201, kind, id };
  });
}

/** PATCH (the body merged over the stored entity) or PUT of an existing entity: replaced, id kept. */
export function replaceEntity(
  tx: StoreTransaction,
  kind: KindName,
  id: string,
  input: Record<string, unknown>,
): Promise<EntityOutcome> {
  return guarded(async () => {
    if ((await tx.get(kind, id)) === null) return { status: 404, body: { message: "Not found" } };
    const record = withGenerated(kind, { ...input, id });
    const bad = await checkForeign(tx, kind, record);
    if (bad) return bad;
    const taken = await checkUnindexedUnique(tx, kind, record);
    if (taken) return taken;
    await tx.replace(kind, record);
    return { status: 200, kind, id };
  });
}

/** PUT: the entity at that key replaced, or created (with the path's id when it is one). */
export function upsertEntity(
  tx: StoreTransaction,
  kind: KindName,
  existing: string | null,
  pathId: string | null,
  input: Record<string, unknown>,
): Promise<EntityOutcome> {
  return guarded(async () => {
    // the database says whether it exists, not the configuration served here: a write through
    // another replica may not have reached this one yet (by id: that id; by key: the key's entity)
    const stored =
      pathId !== null ? await tx.get(kind, pathId) : await storedByKey(tx, kind, existing, input);
    if (stored !== null) return replaceEntity(tx, kind, stored.id, input);
    const outcome = await insertEntity(tx, kind, pathId === null ? input : { ...input, id: pathId });
    return outcome.status === 201 ? { ...outcome, status: 200 } : outcome;
  });
}

/** A PUT by endpoint key (name, username…): the entity stored under it, else the one served as it. */
async function storedByKey(
  tx: StoreTransaction,
  kind: KindName,
  served: string | null,
  input: Record<string, unknown>,
): Promise<StoredRecord | null> {
  const { endpointKey: key, endpointKeyUnique } = KINDS[kind];
  const value = key === undefined ? undefined : input[key];
  // a key unique only per parent (an ACL group, a target) is looked up as served
  if (key !== undefined && endpointKeyUnique && typeof value === "string") return tx.findBy(kind, key, value);
  return served === null ? null : tx.get(kind, served);
}

/**
 * DELETE, following each dependant's on_delete: cascade removes them (recursively), restrict refuses
 * with Kong's 400 when one exists, null clears the reference.
 */
export async function deleteEntity(tx: StoreTransaction, kind: KindName, id: string): Promise<EntityOutcome> {
  if ((await tx.get(kind, id)) === null) return { status: 204 };
  const refused = await deleteTree(tx, kind, id);
  return refused ?? { status: 204 };
}

async function deleteTree(tx: StoreTransaction, kind: KindName, id: string): Promise<EntityOutcome | null> {
  for (const dep of dependantsOf(kind)) {
    const children = await tx.referencing(dep.kind, dep.field, id);
    if (children.length === 0) continue;
    if (dep.onDelete === "restrict") {
      return {
        status: 400,
        body: {
          code: 4,
          name: "foreign key violation",
          message: `an existing '${dep.kind}' entity references this '${kind}' entity`,
          fields: { "@referenced_by": dep.kind },
        },
      };
    }
    for (const child of children) {
      if (dep.onDelete === "cascade") {
        const refused = await deleteTree(tx, dep.kind, child.id);
        if (refused) return refused;
      } else {
        await tx.replace(dep.kind, { ...child, [dep.field]: null });
      }
    }
  }
  await tx.remove(kind, id);
  return null;
}

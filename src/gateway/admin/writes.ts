/**
 * Entity writes in DB-less mode, answered as Kong answers them: Kong's endpoints look up
 * the parent and the entity, and its DAO validates the body, before the DB-less storage
 * refuses the write. So a missing parent is 404, a PATCH of a missing entity 404, a DELETE
 * of a missing one 204, an invalid body 400 (Kong's schema violation), and only a write that
 * would otherwise succeed gets the 405 "cannot … when not using a database"
 * (kong/api/endpoints.lua, kong/db/dao/init.lua, kong/db/strategies/off).
 *
 * Bodies are decoded as Kong decodes them (body.ts: JSON, or url-encoded and multipart forms
 * typed by the entity's schema) and checked by the declarative loader's own entity check
 * (config/load.ts `checkEntity`): one definition of every entity and plugin schema.
 */

import { isKindName, KINDS, type KindName } from "../config/kinds.js";
import type { PluginLookup } from "../config/load.js";
import { checkEntity } from "../config/load.js";
import { errorTreeToLua } from "../config/schema/errors.js";
import { isPlainObject, type RecordField, setOwn } from "../config/schema/fields.js";
import type { GatewayConfig } from "../config/types.js";
import { hashBasicAuthPassword } from "../plugins/basic-auth/crypto.js";
import type { StoreTransaction } from "../store/postgres/store.js";
import { storedRecordOf } from "../store/records.js";
import { type BodyTarget, decodeAdminBody } from "./body.js";
import { associate, type ForeignOwner, resolveForeignKeys } from "./db-foreign.js";
import { deleteEntity, type EntityOutcome, insertEntity, replaceEntity, upsertEntity } from "./db-writes.js";
import { type DbError, dbError, schemaViolation } from "./errors.js";

export type WriteMethod = "POST" | "PUT" | "PATCH" | "DELETE";

export interface WriteRequest {
  method: WriteMethod;
  /** Path segments, percent-decoded. */
  segments: readonly string[];
  /** The body as received; null when it is not read (DELETE). */
  body: { contentType: string | undefined; raw: Buffer } | null;
  /** the query string (`?ttl=` of entities with a row ttl) */
  query?: URLSearchParams;
}

/**
 * Kong's `ttl` option of entities kept for a while only (`ttl = true`: oauth2 tokens), which the
 * Admin API takes from the query string as well as the body (kong/api/endpoints.lua
 * extract_options): `?ttl=` fills the body's `ttl` when the body does not give one.
 */
function withQueryTtl(kind: KindName, body: Record<string, unknown>, query: URLSearchParams | undefined) {
  const ttl = query?.get("ttl");
  if (ttl === null || ttl === undefined || !("ttl" in KINDS[kind].schema.fields) || "ttl" in body)
    return body;
  return { ...body, ttl: /^\d+$/.test(ttl) ? Number(ttl) : ttl };
}

export interface WriteAnswer {
  status: number;
  body?: unknown;
}

/**
 * Database mode: runs one write in a transaction and answers with the entity as now served (or
 * the outcome's error). Absent in DB-less mode, where a write that would succeed gets the 405.
 */
export interface DatabaseWrites {
  run(write: (tx: StoreTransaction) => Promise<EntityOutcome>): Promise<WriteAnswer>;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Top-level collections with Kong's generated endpoints (targets are only under upstreams). */
const TOP_LEVEL: ReadonlySet<KindName> = new Set(["services", "routes", "consumers", "upstreams", "plugins"]);

/** Admin API names of the credential collections nested under a consumer. */
export const CREDENTIAL_SEGMENTS: Readonly<Record<string, KindName>> = {
  "key-auth": "keyauth_credentials",
  jwt: "jwt_secrets",
  "basic-auth": "basicauth_credentials",
  "hmac-auth": "hmacauth_credentials",
  oauth2: "oauth2_credentials",
  acls: "acls",
};

const CREDENTIAL_KINDS: ReadonlySet<string> = new Set(Object.values(CREDENTIAL_SEGMENTS));

/** The collection a nested segment names under `parent` (`/consumers/x/jwt` → jwt_secrets). */
export function childKind(parent: KindName, segment: string): KindName | null {
  const credential = parent === "consumers" ? CREDENTIAL_SEGMENTS[segment] : undefined;
  const kind = credential ?? (isKindName(segment) && !CREDENTIAL_KINDS.has(segment) ? segment : null);
  return kind !== null && KINDS[parent].children[kind] !== undefined ? kind : null;
}

export type Row = { id: string } & Record<string, unknown>;

function rowsOf(config: GatewayConfig, kind: KindName): readonly Row[] {
  return config[kind] as unknown as readonly Row[];
}

/** Keys Kong also finds an entity by: a consumer's custom_id, an ACL's group. */
const SECONDARY_KEYS: Partial<Record<KindName, string>> = {
  acls: "group",
  consumers: "custom_id",
};

/** An entity by id or endpoint key (and SECONDARY_KEYS), optionally within a parent. */
export function lookup(
  config: GatewayConfig,
  kind: KindName,
  key: string,
  parent?: { field: string; id: string },
): Row | undefined {
  const spec = KINDS[kind];
  const lower = key.toLowerCase();
  const rows = parent
    ? rowsOf(config, kind).filter((r) => r[parent.field] === parent.id)
    : rowsOf(config, kind);
  const byKey = (field: string | undefined) =>
    field === undefined ? undefined : rows.find((r) => r[field] === key);
  const secondary = SECONDARY_KEYS[kind];
  return rows.find((r) => r.id === lower) ?? byKey(spec.endpointKey) ?? byKey(secondary);
}

/** What a write path addresses, once its parents are found. */
type Address =
  | { shape: "collection"; kind: KindName; parent?: { field: string; id: string } }
  | {
      shape: "entity";
      kind: KindName;
      /** the key written in the path */
      key: string;
      entity: Row | undefined;
      parent?: { field: string; id: string };
      /** under a parent: a missing entity is a plain 404 (not Kong's code-6 body), DELETE too */
      nested: boolean;
      /** Kong writes it by primary key whatever the path said (targets, foreign entities) */
      byId: boolean;
      /** `/routes/{route}/service`: the entity a foreign key points to */
      foreign: boolean;
      /** for a foreign entity: the entity whose foreign key it is */
      owner?: ForeignOwner;
    }
  | { shape: "answer"; answer: WriteAnswer };

const NOT_FOUND: WriteAnswer = { status: 404, body: { message: "Not found" } };
const METHOD_NOT_ALLOWED: WriteAnswer = { status: 405, body: { message: "Method not allowed" } };

/**
 * Kong's top-level credential endpoints (each plugin's `admin_api_name`): `/key-auths/{key or id}`,
 * `/jwts`, `/basic-auths`, `/hmac-auths`, `/acls`, and the credential's consumer under them.
 */
export const CREDENTIAL_ROOTS: Readonly<Record<string, KindName>> = {
  "key-auths": "keyauth_credentials",
  jwts: "jwt_secrets",
  "basic-auths": "basicauth_credentials",
  "hmac-auths": "hmacauth_credentials",
  oauth2: "oauth2_credentials",
  oauth2_tokens: "oauth2_tokens",
  acls: "acls",
};

/** The collection a first path segment names for writes. */
function rootKind(segment: string): KindName | null {
  const credential = Object.hasOwn(CREDENTIAL_ROOTS, segment) ? CREDENTIAL_ROOTS[segment] : undefined;
  if (credential !== undefined) return credential;
  return isKindName(segment) && TOP_LEVEL.has(segment) ? segment : null;
}

function address(config: GatewayConfig, method: WriteMethod, segments: readonly string[]): Address | null {
  const [rootSegment, key, sub, subKey, extra] = segments;
  const root = rootSegment === undefined ? null : rootKind(rootSegment);
  if (root === null || extra !== undefined) return null;
  if (key === undefined) return { shape: "collection", kind: root };
  const entity = lookup(config, root, key);
  if (sub === undefined)
    return { shape: "entity", kind: root, key, entity, nested: false, byId: false, foreign: false };
  const foreignKind = subKey === undefined ? KINDS[root].foreign[sub] : undefined;
  const kind = foreignKind === undefined ? childKind(root, sub) : null;
  if (foreignKind === undefined && kind === null) return null;
  if (!entity) return { shape: "answer", answer: NOT_FOUND };

  if (foreignKind !== undefined) {
    const id = entity[sub];
    // a PUT on an unset foreign key creates the entity and associates it (Kong), else 404
    if (typeof id !== "string" && method !== "PUT") return { shape: "answer", answer: NOT_FOUND };
    const target = typeof id === "string" ? lookup(config, foreignKind, id) : undefined;
    const at = typeof id === "string" ? id : "";
    return {
      shape: "entity",
      kind: foreignKind,
      key: at,
      entity: target,
      nested: true,
      byId: true,
      foreign: true,
      owner: { kind: root, id: entity.id, field: sub },
    };
  }
  const child = kind!;
  const parent = { field: KINDS[root].children[child]!, id: entity.id };
  if (subKey === undefined) return { shape: "collection", kind: child, parent };
  const found = lookup(config, child, subKey, parent);
  return {
    shape: "entity",
    kind: child,
    key: subKey,
    entity: found,
    parent,
    nested: true,
    byId: child === "targets",
    foreign: false,
  };
}

/** Kong's DB-less refusal, naming the endpoint key when the path used one. */
function unsupported(op: string, kind: KindName, byKey: string | null): WriteAnswer {
  const by = byKey === null ? "" : ` by '${byKey}'`;
  return {
    status: 405,
    body: dbError("OPERATION_UNSUPPORTED", `cannot ${op} '${kind}' entities${by} when not using a database`),
  };
}

/** Kong's 405 for an entity path of a collection it does not load (certificates, vaults…). */
export function unsupportedOpaqueWrite(method: WriteMethod, segments: readonly string[]): WriteAnswer {
  const entity = segments.length >= 2;
  if ((method === "POST") === entity) return METHOD_NOT_ALLOWED;
  const collection = segments[0]!.replace(/-/g, "_");
  return unsupported(OPERATION[method], collection as KindName, null);
}

const OPERATION: Readonly<Record<WriteMethod, string>> = {
  POST: "create",
  PUT: "create or update",
  PATCH: "update",
  DELETE: "remove",
};

/**
 * Answer a write to an entity endpoint; null when the path is no entity endpoint (and its
 * body, if any, could be read: a body Kong cannot read is refused on any path).
 */
export async function answerWrite(
  config: GatewayConfig,
  plugins: PluginLookup,
  req: WriteRequest,
  db: DatabaseWrites | null = null,
): Promise<WriteAnswer | null> {
  const at = address(config, req.method, req.segments);
  let body: Record<string, unknown> | null = null;
  if (req.body !== null) {
    const target = bodyTarget(at, req.method, plugins);
    const decoded = await decodeAdminBody(req.body.contentType, req.body.raw, target);
    if (!decoded.ok) return { status: decoded.status, body: decoded.body };
    body = decoded.value;
  }
  if (at === null) return null;
  if (at.shape === "answer") return at.answer;
  if (body !== null) body = withQueryTtl(at.kind, body, req.query);
  const { method } = req;

  if (at.shape === "collection") {
    if (method !== "POST") return METHOD_NOT_ALLOWED;
    const input = body === null ? null : withParent(body, at.parent);
    const kind = at.kind;
    if (db === null || input === null)
      return invalidBody(kind, input, plugins) ?? unsupported("create", kind, null);
    const entity = checked(kind, input, plugins);
    if ("refused" in entity) return entity.refused;
    return db.run(async (tx) => {
      const hashed = await withHashedPassword(tx, kind, entity.record, input);
      return "refused" in hashed ? hashed.refused : insertEntity(tx, kind, hashed.record);
    });
  }

  if (method === "POST") return METHOD_NOT_ALLOWED;
  const endpointKey = KINDS[at.kind].endpointKey;
  const byKey = !at.byId && endpointKey !== undefined && !UUID_RE.test(at.key) ? endpointKey : null;
  // Kong's targets endpoint updates on PUT as on PATCH
  const updates = method === "PATCH" || (method === "PUT" && at.kind === "targets");

  const kind = at.kind;
  if (method === "DELETE") {
    if (!at.entity) return at.nested ? NOT_FOUND : { status: 204 };
    if (at.foreign) return METHOD_NOT_ALLOWED;
    const id = at.entity.id;
    return db !== null ? db.run((tx) => deleteEntity(tx, kind, id)) : unsupported("remove", kind, byKey);
  }
  if (updates) {
    if (!at.entity) return at.nested ? NOT_FOUND : notFound(at.key, byKey);
    const id = at.entity.id;
    const served = storedRecordOf(kind, at.entity);
    const { parent } = at;
    if (db === null || body === null) {
      const input = body === null ? null : withParent(mergeInto(kind, served, body), parent);
      return invalidBody(kind, input, plugins) ?? unsupported("update", kind, byKey);
    }
    // merged over the entity as stored (vault references as written, not as resolved for serving)
    return db.run(async (tx) => {
      const stored = (await tx.get(kind, id)) ?? served;
      const entity = checked(kind, withParent(mergeInto(kind, stored, body), parent), plugins);
      if ("refused" in entity) return refusal(entity.refused);
      const hashed = await withHashedPassword(tx, kind, entity.record, body);
      return "refused" in hashed ? hashed.refused : replaceEntity(tx, kind, id, hashed.record);
    });
  }
  // PUT: an upsert, the key of the path written into the entity
  let input: Record<string, unknown> | null = null;
  if (body !== null) {
    input = withParent(body, at.parent);
    if (byKey !== null) setOwn(input, byKey, at.key);
    if (at.kind === "acls" && !at.entity && input.group === undefined) setOwn(input, "group", at.key);
  }
  const existing = at.entity?.id ?? null;
  // the path names the entity by id (not by its endpoint key): a new one gets that id
  const pathId = byKey === null && !at.foreign && UUID_RE.test(at.key) ? at.key.toLowerCase() : null;
  const owner = at.owner;
  if (db === null || input === null)
    return invalidBody(kind, input, plugins) ?? unsupported("create or update", kind, byKey);
  const entity = checked(kind, input, plugins);
  if ("refused" in entity) return entity.refused;
  const written = input;
  return db.run(async (tx) => {
    const hashed = await withHashedPassword(tx, kind, entity.record, written);
    if ("refused" in hashed) return hashed.refused;
    return owner === undefined
      ? upsertEntity(tx, kind, existing, pathId, hashed.record)
      : upsertForeign(tx, kind, existing, hashed.record, owner);
  });
}

/**
 * The schema a write's body is typed by: the addressed entity's; for plugins also the
 * plugin's config schema, by the body's `name` or, on PATCH, the stored plugin's (Kong's
 * patch_plugin). None when the address is unknown or refused (only the encoding counts).
 */
function bodyTarget(at: Address | null, method: WriteMethod, plugins: PluginLookup): BodyTarget | null {
  if (at === null || at.shape === "answer") return null;
  const schema = KINDS[at.kind].schema;
  if (at.kind !== "plugins") return { schema };
  const stored = at.shape === "entity" && method === "PATCH" ? at.entity?.name : undefined;
  return typeof stored === "string" ? { schema, plugins, pluginName: stored } : { schema, plugins };
}

/**
 * PUT on a foreign entity (`/routes/{route}/service`): replaced when the owner points at one, else
 * created and associated with the owner; 200 either way (Kong).
 */
async function upsertForeign(
  tx: StoreTransaction,
  kind: KindName,
  existing: string | null,
  input: Record<string, unknown>,
  owner: ForeignOwner,
): Promise<EntityOutcome> {
  if (existing !== null) return replaceEntity(tx, kind, existing, input);
  const created = await insertEntity(tx, kind, input);
  if (created.status !== 201) return created;
  await associate(tx, owner, created.id);
  return { ...created, status: 200 };
}

/** The body with the foreign key of the collection it is written under (Kong overrides it). */
function withParent(
  body: Record<string, unknown>,
  parent: { field: string; id: string } | undefined,
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) setOwn(input, k, v);
  if (parent) setOwn(input, parent.field, { id: parent.id });
  return input;
}

/** 400 with Kong's schema violation when the entity is invalid; null when it is fine (or unchecked). */
function invalidBody(
  kind: KindName,
  input: Record<string, unknown> | null,
  plugins: PluginLookup,
): WriteAnswer | null {
  return input === null ? null : violation(checkEntity(kind, input, plugins).errors);
}

function violation(errors: ReturnType<typeof checkEntity>["errors"]): WriteAnswer | null {
  if (typeof errors === "string") return { status: 400, body: schemaViolation({ "@entity": errors }) };
  return Object.keys(errors).length > 0 ? { status: 400, body: schemaViolation(errors) } : null;
}

/**
 * The entity as Kong's DAO stores it — the schema's output: defaults filled, shorthands such as a
 * service's `url` expanded (so a later PATCH of `host` is not undone by a stored `url`) — or the
 * 400 refusing it. The id is the input's (none: the store makes one).
 */
function checked(
  kind: KindName,
  input: Record<string, unknown>,
  plugins: PluginLookup,
): { record: Record<string, unknown> } | { refused: WriteAnswer } {
  const { value, errors } = checkEntity(kind, input, plugins);
  const refused = violation(errors);
  if (refused !== null) return { refused };
  const record: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k !== "id") setOwn(record, k, v);
  }
  if (input.id !== undefined && input.id !== null) setOwn(record, "id", input.id);
  return { record };
}

/**
 * basic-auth: a password the body writes is stored as Kong's salted hash, `sha1(password ..
 * consumer_id)`; a PATCH without one keeps the stored hash.
 */
async function withHashedPassword(
  tx: StoreTransaction,
  kind: KindName,
  record: Record<string, unknown>,
  body: Record<string, unknown>,
): Promise<{ record: Record<string, unknown> } | { refused: EntityOutcome }> {
  const password = body.password;
  // a vault reference stays one (resolved when served, compared as written)
  if (
    kind !== "basicauth_credentials" ||
    typeof password !== "string" ||
    password.trim().startsWith("{vault://")
  )
    return { record };
  // the consumer may be named by username (`/basic-auths` with `consumer.username`): its id salts the hash
  const resolved = { ...record };
  const unresolved = await resolveForeignKeys(tx, kind, resolved);
  if (unresolved) return { refused: unresolved };
  const consumer = resolved.consumer;
  const consumerId = isPlainObject(consumer) ? consumer.id : undefined;
  if (typeof consumerId !== "string") return { record: resolved };
  return { record: { ...resolved, password: hashBasicAuthPassword(consumerId.toLowerCase(), password) } };
}

/** A refusal as the outcome of a transaction (rolled back). */
function refusal(answer: WriteAnswer): EntityOutcome {
  return { status: 400, body: answer.body as Record<string, unknown> };
}

/** Kong's code-6 answer of a top-level PATCH whose entity does not exist. */
function notFound(key: string, byKey: string | null): WriteAnswer {
  const filter = { [byKey ?? "id"]: byKey === null ? key.toLowerCase() : key };
  const what = byKey === null ? "primary key " : "";
  const error: DbError = {
    ...dbError("NOT_FOUND", `could not find the entity with ${what}'${errorTreeToLua(filter)}'`),
    fields: filter,
  };
  return { status: 404, body: error };
}

/**
 * Kong's merge_values: the body over the stored entity, record fields merged field by field
 * (a plugin's `config` too), everything else replaced.
 */
function mergeInto(kind: KindName, stored: Row, body: Record<string, unknown>): Record<string, unknown> {
  return mergeRecord(KINDS[kind].schema, stored, body, kind === "plugins" ? new Set(["config"]) : new Set());
}

function mergeRecord(
  schema: RecordField | null,
  bottom: Record<string, unknown>,
  top: Record<string, unknown>,
  freeRecords: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(bottom)) setOwn(out, k, v);
  for (const [k, v] of Object.entries(top)) {
    const below = bottom[k];
    const def = schema?.fields[k];
    const isRecord =
      def?.type === "record" || freeRecords.has(k) || (schema === null && isPlainObject(below));
    if (isRecord && isPlainObject(v) && isPlainObject(below)) {
      setOwn(out, k, mergeRecord(def?.type === "record" ? def : null, below, v, new Set()));
    } else {
      setOwn(out, k, v);
    }
  }
  return out;
}

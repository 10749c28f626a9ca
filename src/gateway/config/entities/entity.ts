/**
 * What one entity file declares (config/entities/<kind>.ts, one entity kind per file, as Kong's
 * kong/db/schema/entities/<kind>.lua): the field schema of the declarative document and Admin API,
 * its relations — foreign keys (the kind they reference, whether they must be set, Kong's
 * `on_delete`, whether the child may be nested in the parent's collection), endpoint key, cache key,
 * unique fields — and how the loader assembles a validated entity into its runtime type.
 */
import type { PluginDefinition } from "../../plugins/types.js";
import type { ErrorRecord } from "../schema/errors.js";
import type { Field, RecordField } from "../schema/fields.js";

export type KindName =
  | "services"
  | "routes"
  | "upstreams"
  | "targets"
  | "consumers"
  | "plugins"
  | "keyauth_credentials"
  | "jwt_secrets"
  | "basicauth_credentials"
  | "hmacauth_credentials"
  | "oauth2_credentials"
  | "oauth2_authorization_codes"
  | "oauth2_tokens"
  | "acls";

export type Protocol = "http" | "https" | "grpc" | "grpcs" | "tcp" | "tls" | "ws" | "wss";

/**
 * Kong's `on_delete` of a foreign key: what deleting the referenced entity does to this one.
 * Unset in Kong's schema means the database's default (no action): the delete is refused while a
 * reference exists, as `restrict`.
 */
export type OnDelete = "cascade" | "restrict" | "null";

export interface ForeignKey {
  /** The referenced collection (Kong `reference`). */
  reference: KindName;
  /** Must be set, by nesting or by reference (Kong `required = true`). */
  required: boolean;
  /** As Kong's schema spells it; absent where Kong leaves it unset. */
  onDelete?: OnDelete;
  /**
   * A declarative document may nest this entity in the referenced entity's collection (the
   * nesting sets the foreign key), e.g. `services: [{ routes: [...] }]`.
   */
  nested: boolean;
}

/** Which plugins are installed: the registry's `get`. */
export type PluginLookup = (name: string) => PluginDefinition | undefined;

/** What an entity's own checks see besides the entity. */
export interface CheckContext {
  plugins: PluginLookup;
  /** The foreign key set by the collection the entity is nested in. */
  nestedIn: string | undefined;
  /** true in database mode (plugins storing entities as they run are refused DB-less) */
  database: boolean;
}

/** A validated entity of the document, ids assigned and references resolved. */
export interface LoadedEntity {
  /** Its own fields with defaults filled in. */
  readonly value: Readonly<Record<string, unknown>>;
  /** Id of the entity a foreign key resolved to; null when unset. */
  ref(field: string): string | null;
}

/** Helpers shared by every assembly of one configuration (they intern lists across entities). */
export interface Assembly {
  /** A string, else null. */
  str(v: unknown): string | null;
  /**
   * A shared, frozen copy of a small list that repeats across thousands of entities (protocols,
   * methods, empty tag sets): a 10,000-route configuration holds a handful of them.
   */
  intern<T extends string>(list: T[]): T[];
  /** Unset lists stay null, written ones (empty too) stay lists, interned. */
  list<T extends string>(v: unknown): T[] | null;
  tags(v: unknown): string[] | null;
}

export interface EntityDefinition<T extends { id: string } = { id: string }> {
  name: KindName;
  schema: RecordField;
  /** Field by which other entities reference this one besides `id` (Kong endpoint_key). */
  endpointKey?: string;
  /** true when the endpoint key is unique across the document (not only per parent). */
  endpointKeyUnique: boolean;
  /** Kong cache_key fields, used for ids when there is no unique endpoint key. */
  cacheKey?: readonly string[];
  /** Fields that must be unique across the document. */
  unique: readonly string[];
  /** Foreign key field → what it references. */
  foreignKeys: Readonly<Record<string, ForeignKey>>;
  /**
   * Checks beyond the schema, after it filled in defaults: errors added to `errs`, `value` may be
   * rewritten (plugins: the plugin installed, its scopes, its config through its own schema).
   */
  check?(value: Record<string, unknown>, errs: ErrorRecord, ctx: CheckContext): void;
  /** Pre-3.0 documents (`_format_version` 1.1 / 2.1): the entity's own fields migrated in place. */
  upgrade?(own: Record<string, unknown>): void;
  /** Values Kong generates when the document leaves them out (`auto = true` fields), before ids. */
  generate?(value: Record<string, unknown>): void;
  /**
   * The name of the entity's deterministic id once references are resolved, where Kong's is not
   * its cache key (targets: `target:upstream`). Kinds with a cache key only.
   */
  idKey?(entity: LoadedEntity): string;
  /** The runtime entity (config/types.ts) of a validated, resolved one. */
  assemble(entity: LoadedEntity, a: Assembly): T;
}

/** Timestamps and annotations Kong accepts on every entity and that we drop. */
export const IGNORED = ["created_at", "updated_at", "_comment", "_ignore", "ws_id"] as const;

/** A foreign key as written in a declarative file: name or id, or `{ id }` / `{ name }`. */
export const foreignRef: Field = { type: "any" };

/** Kong's credential entities: owned by a consumer, deleted with it. */
export const consumerKey: Readonly<Record<"consumer", ForeignKey>> = {
  consumer: { reference: "consumers", required: true, onDelete: "cascade", nested: true },
};

/** id, owning consumer and tags: the part of an assembled credential every kind shares. */
export function credentialBase(
  e: LoadedEntity,
  a: Assembly,
): { id: string; consumer: string; tags: string[] | null } {
  return { id: e.value.id as string, consumer: e.ref("consumer") as string, tags: a.tags(e.value.tags) };
}

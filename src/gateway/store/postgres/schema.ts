/**
 * The database schema, as migrations (applied in order, each once, under an advisory lock), and the
 * unique constraints it enforces — the unique fields of Kong's entities (services, routes and
 * upstreams by name, consumers by username and by custom_id, credentials by key or username, ACL
 * groups per consumer, targets per upstream, plugins per name and scope), so two replicas writing at
 * once cannot both win.
 *
 * One table holds every entity: its kind, id, the record as written (`data`: vault references
 * unresolved, foreign keys as `{"id": …}`) and Kong's created_at / updated_at. A one-row table holds
 * the state's version, bumped by every write and announced with NOTIFY.
 *
 * A migration never changes once released: a new constraint or column is a new migration.
 */
import type { KindName } from "../../config/kinds.js";

export interface Migration {
  name: string;
  statements: readonly string[];
}

export const ENTITIES_TABLE = "gatestack_entities";
export const STATE_TABLE = "gatestack_state";
export const META_TABLE = "gatestack_schema_meta";
/** Tombstones: what was deleted at which version (a replica loading changes since V reads them). */
export const DELETIONS_TABLE = "gatestack_deletions";
/** The NOTIFY channel a write announces the new version on. */
export const CHANGE_CHANNEL = "gatestack_config";

/** A unique constraint: its index name, the kind it applies to, and the fields (JSON paths) it covers. */
export interface UniqueConstraint {
  name: string;
  kind: KindName;
  /** field → SQL expression over `data` */
  fields: Readonly<Record<string, string>>;
}

const text = (field: string) => `(data->>'${field}')`;
const foreignId = (field: string) => `(data#>>'{${field},id}')`;
const scope = (field: string) => `coalesce(data#>>'{${field},id}', '')`;

/** The constraints of the first migration (000_base). */
const BASE_UNIQUE_CONSTRAINTS: readonly UniqueConstraint[] = [
  { name: "gatestack_uq_services_name", kind: "services", fields: { name: text("name") } },
  { name: "gatestack_uq_routes_name", kind: "routes", fields: { name: text("name") } },
  { name: "gatestack_uq_upstreams_name", kind: "upstreams", fields: { name: text("name") } },
  { name: "gatestack_uq_consumers_username", kind: "consumers", fields: { username: text("username") } },
  { name: "gatestack_uq_consumers_custom_id", kind: "consumers", fields: { custom_id: text("custom_id") } },
  { name: "gatestack_uq_keyauth_key", kind: "keyauth_credentials", fields: { key: text("key") } },
  { name: "gatestack_uq_jwt_key", kind: "jwt_secrets", fields: { key: text("key") } },
  {
    name: "gatestack_uq_basicauth_username",
    kind: "basicauth_credentials",
    fields: { username: text("username") },
  },
  {
    name: "gatestack_uq_acls_group",
    kind: "acls",
    fields: { consumer: foreignId("consumer"), group: text("group") },
  },
  {
    name: "gatestack_uq_targets_target",
    kind: "targets",
    fields: { upstream: foreignId("upstream"), target: text("target") },
  },
  {
    name: "gatestack_uq_plugins_scope",
    kind: "plugins",
    fields: {
      name: text("name"),
      service: scope("service"),
      route: scope("route"),
      consumer: scope("consumer"),
    },
  },
];

/** hmac-auth credentials by username (issue 14): added by migration 002_hmacauth_credentials. */
const HMACAUTH_UNIQUE: UniqueConstraint = {
  name: "gatestack_uq_hmacauth_username",
  kind: "hmacauth_credentials",
  fields: { username: text("username") },
};

/**
 * oauth2 (issue 14), added by migration 003_oauth2: applications by client_id, tokens by access and
 * by refresh token, authorization codes by code.
 */
const OAUTH2_UNIQUE: readonly UniqueConstraint[] = [
  {
    name: "gatestack_uq_oauth2_client_id",
    kind: "oauth2_credentials",
    fields: { client_id: text("client_id") },
  },
  {
    name: "gatestack_uq_oauth2_access_token",
    kind: "oauth2_tokens",
    fields: { access_token: text("access_token") },
  },
  {
    name: "gatestack_uq_oauth2_refresh_token",
    kind: "oauth2_tokens",
    fields: { refresh_token: text("refresh_token") },
  },
  { name: "gatestack_uq_oauth2_code", kind: "oauth2_authorization_codes", fields: { code: text("code") } },
];

export const UNIQUE_CONSTRAINTS: readonly UniqueConstraint[] = [
  ...BASE_UNIQUE_CONSTRAINTS,
  HMACAUTH_UNIQUE,
  ...OAUTH2_UNIQUE,
];

function uniqueIndex(c: UniqueConstraint): string {
  const columns = Object.values(c.fields).join(", ");
  // a NULL never collides (SQL), so an unset unique field (a consumer without custom_id) is no violation
  return `CREATE UNIQUE INDEX ${c.name} ON ${ENTITIES_TABLE} (${columns}) WHERE kind = '${c.kind}'`;
}

/** rate-limiting's cluster counters (Kong's table): one row per identifier, period and window. */
export const RATELIMITING_METRICS_TABLE = "ratelimiting_metrics";
/** response-ratelimiting's (Kong's table): `period` is `<limit name>_<period>`. */
export const RESPONSE_RATELIMITING_METRICS_TABLE = "response_ratelimiting_metrics";

/**
 * A counters table in the shape of Kong's ratelimiting_metrics: `period_date` is the window's start
 * (UTC), the scope's service and route the empty UUID when the plugin has none. The index on
 * `period_date` serves the removal of ended windows.
 */
function metricsTable(table: string): string[] {
  return [
    `CREATE TABLE ${table} (
      identifier text NOT NULL,
      period text NOT NULL,
      period_date timestamptz NOT NULL,
      service_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000'::uuid,
      route_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000'::uuid,
      value integer,
      PRIMARY KEY (identifier, period, period_date, service_id, route_id)
    )`,
    `CREATE INDEX ${table}_period_date ON ${table} (period_date)`,
  ];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: "000_base",
    statements: [
      `CREATE TABLE ${ENTITIES_TABLE} (
        kind text NOT NULL,
        id uuid NOT NULL,
        data jsonb NOT NULL,
        tags text[],
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (kind, id)
      )`,
      `CREATE INDEX gatestack_entities_order ON ${ENTITIES_TABLE} (kind, created_at, id)`,
      `CREATE INDEX gatestack_entities_tags ON ${ENTITIES_TABLE} USING gin (tags)`,
      `CREATE TABLE ${STATE_TABLE} (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        version bigint NOT NULL
      )`,
      `INSERT INTO ${STATE_TABLE} (version) VALUES (0)`,
      ...BASE_UNIQUE_CONSTRAINTS.map(uniqueIndex),
      // the foreign keys deletes follow (cascade / restrict)
      ...["service", "route", "consumer", "upstream"].map(
        (field) => `CREATE INDEX gatestack_fk_${field} ON ${ENTITIES_TABLE} (kind, ${foreignId(field)})`,
      ),
    ],
  },
  {
    // replicas load what changed since the version they hold, not every entity again
    name: "001_changes_since",
    statements: [
      `ALTER TABLE ${ENTITIES_TABLE} ADD COLUMN version bigint NOT NULL DEFAULT 0`,
      `CREATE INDEX gatestack_entities_version ON ${ENTITIES_TABLE} (version)`,
      `CREATE TABLE ${DELETIONS_TABLE} (
        kind text NOT NULL,
        id uuid NOT NULL,
        version bigint NOT NULL,
        PRIMARY KEY (kind, id)
      )`,
      `CREATE INDEX gatestack_deletions_version ON ${DELETIONS_TABLE} (version)`,
      // rows written before this migration carry version 0: a state loaded earlier is read whole once
      `ALTER TABLE ${STATE_TABLE} ADD COLUMN full_since bigint NOT NULL DEFAULT 0`,
      `UPDATE ${STATE_TABLE} SET full_since = version`,
    ],
  },
  {
    // hmac-auth credentials (issue 14): one username per credential across the state
    name: "002_hmacauth_credentials",
    statements: [uniqueIndex(HMACAUTH_UNIQUE)],
  },
  {
    // oauth2 (issue 14): its unique keys, and the foreign keys its deletes follow (a consumer's
    // applications, an application's tokens and codes, a service's or plugin's codes)
    name: "003_oauth2",
    statements: [
      ...OAUTH2_UNIQUE.map(uniqueIndex),
      ...["credential", "plugin"].map(
        (field) => `CREATE INDEX gatestack_fk_${field} ON ${ENTITIES_TABLE} (kind, ${foreignId(field)})`,
      ),
    ],
  },
  {
    // the counters of rate-limiting's and response-ratelimiting's `policy: cluster` (issue 14)
    name: "004_ratelimiting_metrics",
    statements: [RATELIMITING_METRICS_TABLE, RESPONSE_RATELIMITING_METRICS_TABLE].flatMap(metricsTable),
  },
];

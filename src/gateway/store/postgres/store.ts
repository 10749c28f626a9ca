/**
 * The configuration in PostgreSQL (Kong's database mode): entities stored one by one, every write
 * in one transaction that bumps the state's version and announces it (NOTIFY), every replica
 * loading the state again when it hears of it — LISTEN, with a polling fallback so a missed
 * notification (a dropped connection) costs at most a poll interval. When the database goes away
 * the gateway keeps serving its last configuration; the listener reconnects on its own, and the
 * store reports the database reachable only once it is subscribed again (then loads once, so what
 * was written meanwhile is caught up).
 */
import type { KindName } from "../../config/kinds.js";
import type { GatewayLogger } from "../../plugins/types.js";
import type { ConfigStore, EntityTimestamps, StoredRecord, StoredState, StoreHealth } from "../types.js";
import {
  isConnectionError,
  newClient,
  newPool,
  type PgClient,
  type PgPool,
  type PgPoolClient,
  unreachable,
} from "./connection.js";
import { migrationsStatus, notReadyError } from "./migrations.js";
import {
  CHANGE_CHANNEL,
  ENTITIES_TABLE,
  STATE_TABLE,
  UNIQUE_CONSTRAINTS,
  type UniqueConstraint,
} from "./schema.js";
import type { PostgresSettings } from "./settings.js";

/** The advisory transaction lock writers take: one write at a time, across every replica. */
const WRITE_LOCK = 0x6773_7772; // "gswr"
const POLL_MS = 500;
const RECONNECT_MS = 500;

/** Collections in the order the loader reads them (parents first). */
const KIND_ORDER: readonly KindName[] = [
  "services",
  "routes",
  "upstreams",
  "targets",
  "consumers",
  "keyauth_credentials",
  "jwt_secrets",
  "basicauth_credentials",
  "acls",
  "plugins",
];

interface Row {
  kind: KindName;
  data: StoredRecord;
  created_at: string;
  updated_at: string;
}

/** A write in progress: the operations one Admin API write (or POST /config) makes, then commit. */
export interface StoreTransaction {
  get(kind: KindName, id: string): Promise<StoredRecord | null>;
  /** the entity of `kind` whose top-level `field` is `value` (an endpoint key: name, username…) */
  findBy(kind: KindName, field: string, value: string): Promise<StoredRecord | null>;
  /** entities of `kind` whose foreign key `field` points at `id` */
  referencing(kind: KindName, field: string, id: string): Promise<StoredRecord[]>;
  insert(kind: KindName, record: StoredRecord): Promise<void>;
  /** many new entities of one kind in few statements (POST /config in database mode) */
  insertMany(kind: KindName, records: readonly StoredRecord[]): Promise<void>;
  /** replace the record of an existing entity (its created_at kept) */
  replace(kind: KindName, record: StoredRecord): Promise<void>;
  remove(kind: KindName, id: string): Promise<void>;
  removeAll(): Promise<void>;
  /** the state as this transaction sees it */
  load(): Promise<StoredState>;
}

/** A write broke a unique constraint (Kong's 409 unique violation). */
export class UniqueViolation extends Error {
  constructor(
    readonly constraint: UniqueConstraint,
    readonly record: StoredRecord,
  ) {
    super(`unique violation: ${constraint.name}`);
  }
}

/** The database did not answer a write or read (503 for the Admin API, last config kept by the proxy). */
export class StoreUnavailable extends Error {
  constructor(cause: unknown) {
    super((cause as Error)?.message ?? "database unavailable", { cause });
  }
}

export class PostgresStore implements ConfigStore {
  readonly mode = "postgres" as const;
  private readonly listeners = new Set<() => void>();
  private listener: PgClient | null = null;
  private reachable = false;
  private closed = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** the version the last load saw (a higher one in the database means: load again) */
  private seenVersion: bigint = -1n;

  private constructor(
    private readonly settings: PostgresSettings,
    private readonly pool: PgPool,
    private readonly logger: GatewayLogger,
  ) {}

  /** Connect, check the schema is bootstrapped and current (else the migrations command to run), subscribe. */
  static async open(settings: PostgresSettings, logger: GatewayLogger): Promise<PostgresStore> {
    const status = await migrationsStatus(settings);
    const notReady = notReadyError(status);
    if (notReady) throw notReady;
    const store = new PostgresStore(settings, newPool(settings), logger);
    await store.subscribe();
    store.pollTimer = setInterval(() => void store.poll(), POLL_MS);
    store.pollTimer.unref();
    return store;
  }

  health(): StoreHealth {
    return { reachable: this.reachable };
  }

  watch(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  async load(): Promise<StoredState> {
    let client: PgPoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new StoreUnavailable(err);
    }
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const state = await loadWith(client);
      await client.query("COMMIT");
      this.noteVersion(state.version);
      return state;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw isConnectionError(err) ? new StoreUnavailable(err) : err;
    } finally {
      client.release();
    }
  }

  /**
   * Run `fn` in one write transaction (serialized across replicas by an advisory lock), bump the
   * version, announce it, commit. `fn` returning normally commits; throwing rolls back.
   */
  async write<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<{ result: T; version: string }> {
    let client: PgPoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new StoreUnavailable(err);
    }
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [WRITE_LOCK]);
      const result = await fn(transaction(client));
      const v = await client.query<{ version: string }>(
        `UPDATE ${STATE_TABLE} SET version = version + 1 RETURNING version::text AS version`,
      );
      const version = v.rows[0]!.version;
      await client.query("SELECT pg_notify($1, $2)", [CHANGE_CHANNEL, version]);
      await client.query("COMMIT");
      return { result, version };
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      if (isConnectionError(err)) throw new StoreUnavailable(err);
      throw err;
    } finally {
      client.release();
    }
  }

  /** The version this node has loaded (so its own announcement does not load the state twice). */
  noteVersion(version: string): void {
    const v = BigInt(version);
    if (v > this.seenVersion) this.seenVersion = v;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  private changed(version: string | undefined): void {
    if (version !== undefined && /^\d+$/.test(version) && BigInt(version) <= this.seenVersion) return;
    for (const l of this.listeners) l();
  }

  /** LISTEN on a dedicated connection; on its loss, reconnect until it works, then catch up. */
  private async subscribe(): Promise<void> {
    const client = newClient(this.settings);
    client.on("error", () => undefined);
    client.on("end", () => {
      if (this.listener === client) this.lost();
    });
    client.on("notification", (n) => {
      if (n.channel === CHANGE_CHANNEL) this.changed(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw unreachable(this.settings, err);
    }
    this.listener = client;
    const wasReachable = this.reachable;
    this.reachable = true;
    if (!wasReachable && this.seenVersion >= 0n) {
      this.logger.info("database reachable again", {});
      this.changed(undefined); // what was written meanwhile
    }
  }

  private lost(): void {
    if (this.closed) return;
    if (this.reachable) this.logger.warn("database connection lost; serving the last configuration", {});
    this.reachable = false;
    this.listener = null;
    const retry = () => {
      if (this.closed) return;
      this.subscribe().catch(() => {
        this.reconnectTimer = setTimeout(retry, RECONNECT_MS);
        this.reconnectTimer.unref();
      });
    };
    this.reconnectTimer = setTimeout(retry, RECONNECT_MS);
    this.reconnectTimer.unref();
  }

  /** The fallback: a version newer than the one loaded means a notification was missed. */
  private async poll(): Promise<void> {
    if (this.closed || !this.reachable || this.seenVersion < 0n) return;
    try {
      const r = await this.pool.query<{ version: string }>(
        `SELECT version::text AS version FROM ${STATE_TABLE}`,
      );
      const version = r.rows[0]?.version;
      if (version !== undefined) this.changed(version);
    } catch (err) {
      if (isConnectionError(err) && this.listener !== null) {
        // the listener's own connection will notice; nothing to do here
      }
    }
  }
}

async function loadWith(client: PgPoolClient): Promise<StoredState> {
  const v = await client.query<{ version: string }>(`SELECT version::text AS version FROM ${STATE_TABLE}`);
  const rows = await client.query<Row>(
    `SELECT kind, data, created_at::text AS created_at, updated_at::text AS updated_at
       FROM ${ENTITIES_TABLE} ORDER BY kind, created_at, id`,
  );
  const document: Record<string, unknown> = { _format_version: "3.0" };
  const byKind = new Map<KindName, StoredRecord[]>();
  const timestamps = new Map<string, EntityTimestamps>();
  for (const row of rows.rows) {
    let list = byKind.get(row.kind);
    if (!list) {
      list = [];
      byKind.set(row.kind, list);
    }
    list.push(row.data);
    timestamps.set(row.data.id, { created_at: Number(row.created_at), updated_at: Number(row.updated_at) });
  }
  for (const kind of KIND_ORDER) {
    const list = byKind.get(kind);
    if (list && list.length > 0) document[kind] = list;
  }
  return { document, version: v.rows[0]?.version ?? "0", timestamps };
}

function tagsOf(record: StoredRecord): string[] | null {
  return Array.isArray(record.tags)
    ? (record.tags as unknown[]).filter((t): t is string => typeof t === "string")
    : null;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Entities per INSERT of insertMany (one JSON parameter each). */
const INSERT_BATCH = 1000;

/** The record of a batch a unique violation names (its detail: `Key (…)=(value) already exists`). */
function batchRecordOf(err: unknown, batch: readonly StoredRecord[]): StoredRecord {
  const detail = (err as { detail?: string }).detail ?? "";
  const value = /\)=\((.*)\) already exists/.exec(detail)?.[1];
  const found = value === undefined ? undefined : batch.find((r) => Object.values(r).includes(value));
  return found ?? batch[0] ?? { id: "" };
}

function transaction(client: PgPoolClient): StoreTransaction {
  const uniqueViolation = (err: unknown, kind: KindName, record: StoredRecord): never => {
    const e = err as { code?: string; constraint?: string };
    if (e.code === "23505") {
      const constraint = UNIQUE_CONSTRAINTS.find((c) => c.name === e.constraint && c.kind === kind);
      if (constraint) throw new UniqueViolation(constraint, record);
    }
    throw err;
  };
  return {
    async get(kind, id) {
      const r = await client.query<{ data: StoredRecord }>(
        `SELECT data FROM ${ENTITIES_TABLE} WHERE kind = $1 AND id = $2`,
        [kind, id],
      );
      return r.rows[0]?.data ?? null;
    },
    async findBy(kind, field, value) {
      const r = await client.query<{ data: StoredRecord }>(
        `SELECT data FROM ${ENTITIES_TABLE} WHERE kind = $1 AND data->>$2 = $3 LIMIT 1`,
        [kind, field, value],
      );
      return r.rows[0]?.data ?? null;
    },
    async referencing(kind, field, id) {
      const r = await client.query<{ data: StoredRecord }>(
        `SELECT data FROM ${ENTITIES_TABLE} WHERE kind = $1 AND data#>>$2 = $3`,
        [kind, `{${field},id}`, id],
      );
      return r.rows.map((row) => row.data);
    },
    async insert(kind, record) {
      const now = nowSeconds();
      await client
        .query(
          `INSERT INTO ${ENTITIES_TABLE} (kind, id, data, tags, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
          [kind, record.id, JSON.stringify(record), tagsOf(record), now],
        )
        .catch((err: unknown) => uniqueViolation(err, kind, record));
    },
    async insertMany(kind, records) {
      const now = nowSeconds();
      for (let i = 0; i < records.length; i += INSERT_BATCH) {
        const batch = records.slice(i, i + INSERT_BATCH);
        // one statement per batch (a round trip per entity is most of a 10,000-route POST /config)
        await client
          .query(
            `INSERT INTO ${ENTITIES_TABLE} (kind, id, data, tags, created_at, updated_at)
             SELECT $1, (r->>'id')::uuid, r,
                    CASE WHEN jsonb_typeof(r->'tags') = 'array'
                         THEN ARRAY(SELECT jsonb_array_elements_text(r->'tags')) END,
                    $3, $3
               FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(r, n) ORDER BY n`,
            [kind, JSON.stringify(batch), now],
          )
          .catch((err: unknown) => uniqueViolation(err, kind, batchRecordOf(err, batch)));
      }
    },
    async replace(kind, record) {
      await client
        .query(
          `UPDATE ${ENTITIES_TABLE} SET data = $3, tags = $4, updated_at = $5 WHERE kind = $1 AND id = $2`,
          [kind, record.id, JSON.stringify(record), tagsOf(record), nowSeconds()],
        )
        .catch((err: unknown) => uniqueViolation(err, kind, record));
    },
    async remove(kind, id) {
      await client.query(`DELETE FROM ${ENTITIES_TABLE} WHERE kind = $1 AND id = $2`, [kind, id]);
    },
    async removeAll() {
      await client.query(`DELETE FROM ${ENTITIES_TABLE}`);
    },
    load: () => loadWith(client),
  };
}

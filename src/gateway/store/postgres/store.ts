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
import { DatabaseUnavailableError } from "../../errors.js";
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
import { type EntityRow, LoadedState } from "./loaded-state.js";
import { migrationsStatus, notReadyError } from "./migrations.js";
import {
  CHANGE_CHANNEL,
  DELETIONS_TABLE,
  ENTITIES_TABLE,
  STATE_TABLE,
  UNIQUE_CONSTRAINTS,
  type UniqueConstraint,
} from "./schema.js";
import type { PostgresSettings } from "./settings.js";

/** Tombstones of deletes are kept for this many versions; a state older than that is read whole. */
const TOMBSTONES_KEPT = 10_000;

/** The advisory transaction lock writers take: one write at a time, across every replica. */
const WRITE_LOCK = 0x6773_7772; // "gswr"
const POLL_MS = 500;
const RECONNECT_MS = 500;

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
export class StoreUnavailable extends DatabaseUnavailableError {
  constructor(cause: unknown) {
    super((cause as Error)?.message ?? "database unavailable", { cause });
    this.name = "StoreUnavailable";
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
  /** the last state loaded or written (the next load reads only what changed since) */
  private loaded: LoadedState | null = null;

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
      const head = await stateHead(client);
      const loaded = await loadSince(client, this.loaded, head.version, head);
      await client.query("COMMIT");
      this.keep(loaded);
      return loaded.state();
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
      const head = await stateHead(client);
      // every row this write touches carries the version it commits as (what later loads ask for)
      const next = head.version + 1n;
      const tx = transaction(client, next, (fullSince) =>
        loadSince(client, this.loaded, next, {
          version: head.version,
          fullSince: fullSince > head.fullSince ? fullSince : head.fullSince,
        }),
      );
      const result = await fn(tx.operations);
      const version = next.toString();
      await client.query(
        `UPDATE ${STATE_TABLE} SET version = $1, full_since = greatest($2::bigint, $1::bigint - ${TOMBSTONES_KEPT})`,
        [version, tx.fullSince().toString()],
      );
      await client.query(`DELETE FROM ${DELETIONS_TABLE} WHERE version <= $1::bigint - ${TOMBSTONES_KEPT}`, [
        version,
      ]);
      await client.query("SELECT pg_notify($1, $2)", [CHANGE_CHANNEL, version]);
      await client.query("COMMIT");
      const written = tx.lastLoad();
      if (written?.version === next) this.keep(written);
      return { result, version };
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      if (isConnectionError(err)) throw new StoreUnavailable(err);
      throw err;
    } finally {
      client.release();
    }
  }

  private keep(loaded: LoadedState): void {
    if (this.loaded === null || loaded.version >= this.loaded.version) this.loaded = loaded;
  }

  /** The state's version in the database now (one indexed read). */
  async latestVersion(): Promise<string> {
    try {
      const r = await this.pool.query<{ version: string }>(
        `SELECT version::text AS version FROM ${STATE_TABLE}`,
      );
      return r.rows[0]?.version ?? "0";
    } catch (err) {
      throw isConnectionError(err) ? new StoreUnavailable(err) : err;
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

interface StateHead {
  version: bigint;
  /** a state loaded before this version must be read whole (everything replaced, or tombstones pruned) */
  fullSince: bigint;
}

async function stateHead(client: PgPoolClient): Promise<StateHead> {
  const r = await client.query<{ version: string; full_since: string }>(
    `SELECT version::text AS version, full_since::text AS full_since FROM ${STATE_TABLE}`,
  );
  const row = r.rows[0];
  return { version: BigInt(row?.version ?? "0"), fullSince: BigInt(row?.full_since ?? "0") };
}

interface Row {
  kind: KindName;
  data: StoredRecord;
  created_at: string;
  updated_at: string;
}

const ROW_COLUMNS = "kind, data, created_at::text AS created_at, updated_at::text AS updated_at";
const entityRow = (r: Row): EntityRow => ({
  kind: r.kind,
  data: r.data,
  created_at: Number(r.created_at),
  updated_at: Number(r.updated_at),
});

/**
 * The state as `client` sees it, labelled `version`: from `base` plus what was written and deleted
 * since (rows and tombstones newer than its version), or every row when there is no usable base.
 */
async function loadSince(
  client: PgPoolClient,
  base: LoadedState | null,
  version: bigint,
  head: StateHead,
): Promise<LoadedState> {
  if (base === null || base.version < head.fullSince || base.version > version) {
    const rows = await client.query<Row>(`SELECT ${ROW_COLUMNS} FROM ${ENTITIES_TABLE}`);
    return LoadedState.full(version, rows.rows.map(entityRow));
  }
  const since = base.version.toString();
  const rows = await client.query<Row>(`SELECT ${ROW_COLUMNS} FROM ${ENTITIES_TABLE} WHERE version > $1`, [
    since,
  ]);
  const deleted = await client.query<{ kind: KindName; id: string }>(
    `SELECT kind, id::text AS id FROM ${DELETIONS_TABLE} WHERE version > $1`,
    [since],
  );
  return base.changed(version, rows.rows.map(entityRow), deleted.rows);
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

/**
 * The operations of one write transaction committing as `version`: rows written carry it, deletes
 * leave a tombstone with it, removing everything makes older states unusable as a base (`fullSince`).
 */
function transaction(
  client: PgPoolClient,
  version: bigint,
  loadAs: (fullSince: bigint) => Promise<LoadedState>,
): { operations: StoreTransaction; fullSince(): bigint; lastLoad(): LoadedState | null } {
  const v = version.toString();
  let fullSince = 0n;
  let last: LoadedState | null = null;
  const uniqueViolation = (err: unknown, kind: KindName, record: StoredRecord): never => {
    const e = err as { code?: string; constraint?: string };
    if (e.code === "23505") {
      const constraint = UNIQUE_CONSTRAINTS.find((c) => c.name === e.constraint && c.kind === kind);
      if (constraint) throw new UniqueViolation(constraint, record);
    }
    throw err;
  };
  const operations: StoreTransaction = {
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
      last = null; // a load before this write no longer shows the state it commits
      const now = nowSeconds();
      await client
        .query(
          `INSERT INTO ${ENTITIES_TABLE} (kind, id, data, tags, created_at, updated_at, version)
           VALUES ($1, $2, $3, $4, $5, $5, $6)`,
          [kind, record.id, JSON.stringify(record), tagsOf(record), now, v],
        )
        .catch((err: unknown) => uniqueViolation(err, kind, record));
    },
    async insertMany(kind, records) {
      last = null; // a load before this write no longer shows the state it commits
      const now = nowSeconds();
      for (let i = 0; i < records.length; i += INSERT_BATCH) {
        const batch = records.slice(i, i + INSERT_BATCH);
        // one statement per batch (a round trip per entity is most of a 10,000-route POST /config)
        await client
          .query(
            `INSERT INTO ${ENTITIES_TABLE} (kind, id, data, tags, created_at, updated_at, version)
             SELECT $1, (r->>'id')::uuid, r,
                    CASE WHEN jsonb_typeof(r->'tags') = 'array'
                         THEN ARRAY(SELECT jsonb_array_elements_text(r->'tags')) END,
                    $3, $3, $4
               FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(r, n) ORDER BY n`,
            [kind, JSON.stringify(batch), now, v],
          )
          .catch((err: unknown) => uniqueViolation(err, kind, batchRecordOf(err, batch)));
      }
    },
    async replace(kind, record) {
      last = null; // a load before this write no longer shows the state it commits
      await client
        .query(
          `UPDATE ${ENTITIES_TABLE} SET data = $3, tags = $4, updated_at = $5, version = $6 WHERE kind = $1 AND id = $2`,
          [kind, record.id, JSON.stringify(record), tagsOf(record), nowSeconds(), v],
        )
        .catch((err: unknown) => uniqueViolation(err, kind, record));
    },
    async remove(kind, id) {
      last = null; // a load before this write no longer shows the state it commits
      await client.query(`DELETE FROM ${ENTITIES_TABLE} WHERE kind = $1 AND id = $2`, [kind, id]);
      await client.query(
        `INSERT INTO ${DELETIONS_TABLE} (kind, id, version) VALUES ($1, $2, $3)
         ON CONFLICT (kind, id) DO UPDATE SET version = EXCLUDED.version`,
        [kind, id, v],
      );
    },
    async removeAll() {
      last = null; // a load before this write no longer shows the state it commits
      await client.query(`DELETE FROM ${ENTITIES_TABLE}`);
      await client.query(`DELETE FROM ${DELETIONS_TABLE}`);
      fullSince = version; // no tombstones for these: every older state is read whole
    },
    async load() {
      last = await loadAs(fullSince);
      return last.state();
    },
  };
  return { operations, fullSince: () => fullSince, lastLoad: () => last };
}

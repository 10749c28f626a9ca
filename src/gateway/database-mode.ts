/**
 * The gateway in database mode: its configuration is the state stored in PostgreSQL. At start, and
 * whenever the store says the state changed (a write on any replica: LISTEN/NOTIFY, polling as the
 * fallback), the state is loaded, checked by the declarative loader and swapped in as a new
 * generation — in-flight requests finish on the old one, exactly as `POST /config` DB-less. A write
 * through this gateway's Admin API runs in one transaction whose resulting whole state must load
 * (else nothing is written), and is served here before the Admin API answers. While the database is
 * unreachable the last configuration keeps serving and writes answer 503.
 */
import { deleteEntity, type EntityOutcome, insertEntity, replaceEntity } from "./admin/db-writes.js";
import type { AdminDatabase } from "./admin/types.js";
import type { KindName } from "./config/kinds.js";
import type { ParseResult } from "./config/load.js";
import type { GatewayConfig } from "./config/types.js";
import { ConfigInvalidError } from "./errors.js";
import { hashBasicAuthPassword } from "./plugins/basic-auth/crypto.js";
import type { GatewayLogger, PluginEntityOp, PluginEntityWriter } from "./plugins/types.js";
import { type PostgresStore, type StoreTransaction, StoreUnavailable } from "./store/postgres/store.js";
import { documentOf, RUNTIME_KINDS, STORED_KINDS, storedRecordsOf } from "./store/records.js";
import type { EntityTimestamps, StoredRecord, StoredState } from "./store/types.js";

export interface DatabaseModeDeps {
  store: PostgresStore;
  logger: GatewayLogger;
  /** the declarative loader (vault references resolved from the environment) */
  parse(doc: object): ParseResult;
  /** the same, keeping vault references as written (what is stored) */
  parseForStorage(doc: string | object): ParseResult;
  /** swap a loaded configuration in (generations), remembering the document it came from */
  swap(config: GatewayConfig, document: Record<string, unknown>): Promise<void>;
  /**
   * serve the oauth2 tokens and codes of `document` in the current configuration, which is that
   * document's but for them (no new generation); the configuration served, null when there is none
   */
  updateRuntime(document: Record<string, unknown>): GatewayConfig | null;
  /** the server's one queue of configuration changes (a write and a reload never interleave) */
  serialized<T>(task: () => Promise<T>): Promise<T>;
  /** how often expired oauth2 tokens and codes are deleted, ms (default: Kong's 60 s) */
  ttlSweepMs?: number;
}

/** Kong deletes rows whose ttl ran out once a minute (kong/db/strategies/postgres ttl cleanup timer). */
export const TTL_SWEEP_MS = 60_000;

/** Is a token or code's row ttl over (0 or none: kept until deleted)? */
function expired(e: { created_at: number; ttl: number | null }, nowSeconds: number): boolean {
  return e.ttl !== null && e.ttl > 0 && nowSeconds >= e.created_at + e.ttl;
}

/** A write refused inside its transaction: rolled back, answered with `outcome`. */
class Refused extends Error {
  constructor(readonly outcome: EntityOutcome) {
    super("refused");
  }
}

/** POST /config's answer in database mode. */
export type ReplaceResult =
  | { ok: true }
  | { ok: false; error: ParseResult & { ok: false } }
  | { unavailable: string };

/**
 * Basic-auth passwords of a document stored as the Admin API stores them: Kong's salted hash
 * (as `kong config db_import` does); vault references stay references.
 */
function withHashedPasswords(records: Map<KindName, StoredRecord[]>): Map<KindName, StoredRecord[]> {
  const list = records.get("basicauth_credentials");
  if (list === undefined) return records;
  records.set(
    "basicauth_credentials",
    list.map((r) => {
      const consumer = (r.consumer as { id?: unknown } | null)?.id;
      const password = r.password;
      if (
        typeof consumer !== "string" ||
        typeof password !== "string" ||
        password.trim().startsWith("{vault://")
      )
        return r;
      return { ...r, password: hashBasicAuthPassword(consumer, password) };
    }),
  );
  return records;
}

const RUNTIME: ReadonlySet<KindName> = new Set(RUNTIME_KINDS);

export class DatabaseMode implements AdminDatabase {
  private timestampsById: ReadonlyMap<string, EntityTimestamps> = new Map();
  private loadedVersion: string | null = null;
  private unwatch: (() => void) | null = null;
  private writer: PluginEntityWriter | null = null;
  /** the configuration served (updated in place for token-only changes) */
  private servedConfig: GatewayConfig | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: DatabaseModeDeps) {}

  /** Load and serve the stored state; an invalid one at start is an error (nothing to fall back to). */
  async start(): Promise<void> {
    await this.deps.serialized(() => this.loadNow(true));
    this.unwatch = this.deps.store.watch(() => {
      void this.deps.serialized(() => this.loadNow(false)).catch(() => undefined);
    });
    this.sweepTimer = setInterval(() => {
      this.sweepExpired().catch((err: unknown) => {
        this.deps.logger.warn("could not delete expired oauth2 tokens", { error: (err as Error).message });
      });
    }, this.deps.ttlSweepMs ?? TTL_SWEEP_MS);
    this.sweepTimer.unref();
  }

  /**
   * Delete the oauth2 tokens and codes whose ttl ran out, as Kong's database does every minute:
   * those of the configuration served, in one write (none when nothing expired; another replica
   * having deleted one already is fine). Every replica then serves the deletes in place.
   * Resolves how many were deleted.
   */
  async sweepExpired(): Promise<number> {
    const config = this.servedConfig;
    if (config === null || !this.reachable()) return 0;
    const now = Date.now() / 1000;
    const gone: Array<{ kind: KindName; id: string }> = [];
    for (const t of config.oauth2_tokens) if (expired(t, now)) gone.push({ kind: "oauth2_tokens", id: t.id });
    for (const c of config.oauth2_authorization_codes)
      if (expired(c, now)) gone.push({ kind: "oauth2_authorization_codes", id: c.id });
    if (gone.length === 0) return 0;
    let deleted = 0;
    const r = await this.transact(async (tx) => {
      for (const { kind, id } of gone) {
        if ((await tx.get(kind, id)) === null) continue;
        await tx.remove(kind, id);
        deleted++;
      }
      // all deleted already (another replica swept first): roll back rather than commit nothing
      return deleted > 0 ? { status: 204 } : { status: 404, body: { message: "Not found" } };
    });
    if ("unavailable" in r) throw new StoreUnavailable(new Error(r.unavailable));
    return deleted;
  }

  reachable(): boolean {
    return this.deps.store.health().reachable;
  }

  async catchUp(): Promise<void> {
    if (!this.reachable()) return; // no waiting on a database known to be away
    const latest = await this.deps.store.latestVersion().catch(() => null);
    // unreachable: reads answer from the last configuration, writes find out for themselves
    if (latest === null || latest === this.loadedVersion) return;
    await this.deps.serialized(() => this.loadNow(false)).catch(() => undefined);
  }

  timestamps(id: string): EntityTimestamps | undefined {
    return this.timestampsById.get(id);
  }

  transact(
    write: (tx: StoreTransaction) => Promise<EntityOutcome>,
  ): Promise<{ outcome: EntityOutcome; config: GatewayConfig | null } | { unavailable: string }> {
    return this.deps.serialized(async () => {
      let seen: StoredState | null = null;
      let loaded: GatewayConfig | null = null;
      try {
        const { result, version } = await this.deps.store.write(async (tx) => {
          const outcome = await write(tx);
          if ("body" in outcome) throw new Refused(outcome);
          const state = await tx.load();
          seen = state;
          // tokens and codes only (each checked as it was written): no whole-state parse
          if (this.runtimeOnly(state)) return outcome;
          const parsed = this.deps.parse(state.document);
          if (!parsed.ok) throw new Refused({ status: 400, body: { ...parsed.error } });
          loaded = parsed.config;
          return outcome;
        });
        const state: StoredState = { ...seen!, version };
        if (loaded !== null) {
          await this.serve(loaded, state);
          return { outcome: result, config: loaded };
        }
        const inPlace = this.serveRuntime(state);
        if (inPlace !== null) return { outcome: result, config: inPlace };
        // the configuration served went away meanwhile (the gateway closes): load the state whole
        const parsed = this.deps.parse(state.document);
        if (!parsed.ok) throw new ConfigInvalidError(parsed.error, { place: "database" });
        await this.serve(parsed.config, state);
        return { outcome: result, config: parsed.config };
      } catch (err) {
        if (err instanceof Refused) return { outcome: err.outcome, config: null };
        if (err instanceof StoreUnavailable) return { unavailable: err.message };
        throw err;
      }
    });
  }

  /** The plugins' entity writes (oauth2 tokens and codes): each call one transaction, as an Admin API write. */
  pluginWriter(): PluginEntityWriter {
    this.writer ??= { write: (ops) => this.writeEntities(ops) };
    return this.writer;
  }

  private async writeEntities(
    ops: readonly PluginEntityOp[],
  ): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      const r = await this.transact(async (tx) => {
        let outcome: EntityOutcome = { status: 204 };
        for (const o of ops) {
          if (o.op === "insert") outcome = await insertEntity(tx, o.kind, o.record);
          else if (o.op === "replace") outcome = await replaceEntity(tx, o.kind, o.id, o.record);
          else if (o.mustExist === true && (await tx.get(o.kind, o.id)) === null)
            outcome = { status: 404, body: { message: "Not found" } };
          else outcome = await deleteEntity(tx, o.kind, o.id);
          if ("body" in outcome) return outcome;
        }
        return outcome;
      });
      if ("unavailable" in r) return { ok: false, reason: `database unavailable: ${r.unavailable}` };
      if ("body" in r.outcome) {
        // the status and Kong's error name only: a unique violation's message carries the value (a token)
        const { status, body } = r.outcome;
        const name = typeof body.name === "string" ? body.name : "refused";
        return { ok: false, reason: status === 404 ? "Not found" : `${status} ${name}` };
      }
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  }

  /**
   * `POST /config` in database mode (Kong refuses it there; we store it): the document replaces the
   * whole stored state in one transaction, vault references kept as references.
   */
  replaceAll(input: string | object): Promise<ReplaceResult> {
    return this.deps.serialized(async () => {
      const forStorage = this.deps.parseForStorage(input);
      if (!forStorage.ok) return { ok: false, error: forStorage };
      const records = withHashedPasswords(storedRecordsOf(forStorage.config));
      const document = documentOf(records);
      const parsed = this.deps.parse(document);
      if (!parsed.ok) return { ok: false, error: parsed };
      try {
        const { result: state, version } = await this.deps.store.write(async (tx) => {
          await tx.removeAll();
          for (const kind of STORED_KINDS) await tx.insertMany(kind, records.get(kind) ?? []);
          return tx.load();
        });
        await this.serve(parsed.config, { ...state, version });
        return { ok: true };
      } catch (err) {
        if (err instanceof StoreUnavailable) return { unavailable: err.message };
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.unwatch?.();
    await this.deps.store.close();
  }

  private async serve(config: GatewayConfig, state: StoredState): Promise<void> {
    await this.deps.swap(config, state.document);
    this.servedConfig = config;
    this.served(state);
  }

  private served(state: StoredState): void {
    this.timestampsById = state.timestamps;
    this.loadedVersion = state.version;
    this.deps.store.noteVersion(state.version);
  }

  /**
   * Whether `state` differs from the one served only in oauth2 tokens and codes — what the plugin
   * writes on every token it issues. Those are served in place: a new router, plugin set and
   * balancers on every replica per token would make token issuing cost a full reload each.
   */
  private runtimeOnly(state: StoredState): boolean {
    const delta = state.delta;
    return (
      delta !== undefined &&
      this.servedConfig !== null &&
      delta.since === this.loadedVersion &&
      delta.kinds.every((kind) => RUNTIME.has(kind))
    );
  }

  /** Serve `state`'s tokens and codes in the current configuration; null when there is none. */
  private serveRuntime(state: StoredState): GatewayConfig | null {
    const config = this.deps.updateRuntime(state.document);
    if (config === null) return null;
    this.servedConfig = config;
    this.served(state);
    return config;
  }

  private async loadNow(strict: boolean): Promise<void> {
    let state: StoredState;
    try {
      state = await this.deps.store.load();
    } catch (err) {
      if (strict) throw err;
      this.deps.logger.warn("could not load the stored configuration; serving the last one", {
        error: (err as Error).message,
      });
      return;
    }
    if (state.version === this.loadedVersion) return;
    if (this.runtimeOnly(state) && this.serveRuntime(state) !== null) return;
    const parsed = this.deps.parse(state.document);
    if (!parsed.ok) {
      if (strict) {
        throw new ConfigInvalidError(parsed.error, {
          message: `the stored configuration does not load: ${parsed.error.message}`,
          place: "database",
        });
      }
      this.deps.logger.error("the stored configuration does not load; serving the last one", {
        version: state.version,
        error: parsed.error.message,
      });
      return;
    }
    await this.serve(parsed.config, state);
  }
}

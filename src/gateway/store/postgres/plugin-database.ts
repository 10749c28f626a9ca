/**
 * The database as plugins see it in database mode (PluginDatabase): statements and transactions
 * on a pool of its own, apart from the configuration store's, so a burst of counter updates never
 * delays a configuration load. The pool opens on first use: a gateway whose plugins keep nothing
 * in the database never connects it.
 */
import type { PluginDatabase } from "../../plugins/database.js";
import { newPool, type PgPool } from "./connection.js";
import type { PostgresSettings } from "./settings.js";

/** Connections plugins may hold at once (each counter update holds one for a few round trips). */
const POOL_SIZE = 8;

export class PostgresPluginDatabase implements PluginDatabase {
  private pool: PgPool | null = null;
  private closed = false;

  constructor(private readonly settings: PostgresSettings) {}

  async query(sql: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    const r = await this.connection().query(sql, params as unknown[]);
    return r.rows as Record<string, unknown>[];
  }

  async transaction<T>(
    work: (query: PluginDatabase["query"]) => Promise<{ commit: boolean; result: T }>,
  ): Promise<T> {
    const client = await this.connection().connect();
    let failed = false;
    try {
      await client.query("BEGIN");
      const outcome = await work(async (sql, params = []) => {
        const r = await client.query(sql, params as unknown[]);
        return r.rows as Record<string, unknown>[];
      });
      await client.query(outcome.commit ? "COMMIT" : "ROLLBACK");
      return outcome.result;
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      // after a failure the connection is dropped, not handed out again (rolled back with it)
      client.release(failed);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = null;
    await pool?.end().catch(() => undefined);
  }

  private connection(): PgPool {
    if (this.closed) throw new Error("the gateway's database connection is closed");
    if (this.pool === null) this.pool = newPool(this.settings, POOL_SIZE);
    return this.pool;
  }
}

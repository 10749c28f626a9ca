/**
 * What a plugin may do with the gateway's database in database mode (PluginEnvironment.database):
 * shared state kept beside the configuration, such as rate-limiting's `policy: cluster` counters.
 * The core implements it on PostgreSQL (store/postgres/plugin-database.ts).
 */
/** SQL on the gateway's database (PostgreSQL, `$1…` parameters), for plugins keeping shared state. */
export interface PluginDatabase {
  /** One statement; the rows it returns. Rejects when the database cannot be reached. */
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /**
   * Statements on one connection in one transaction: committed when `work` resolves
   * `commit: true`, rolled back otherwise (and when it throws); resolves `work`'s result.
   */
  transaction<T>(
    work: (query: PluginDatabase["query"]) => Promise<{ commit: boolean; result: T }>,
  ): Promise<T>;
}

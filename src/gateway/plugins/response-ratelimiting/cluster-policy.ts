/**
 * `policy: cluster` (database mode) — response-ratelimiting's counters in Kong's
 * `response_ratelimiting_metrics` table (`period` is `<name>_<period>`), shared by every replica
 * on the database, windows on the database server's clock (_shared/cluster-counters.ts). The
 * usage is read in the access phase; the log phase adds what the upstream reported, atomically
 * (INSERT … ON CONFLICT DO UPDATE), into the windows of the moment the usage was read — only the
 * periods configured for the name (Kong counts every period of the name).
 */
import {
  addToWindows,
  type ClusterWindow,
  readWindows,
  removeEndedWindowsSoon,
} from "../_shared/cluster-counters.js";
import type { LimitScope } from "../_shared/limit-identity.js";
import type { Period } from "../_shared/periods.js";
import type { PluginDatabase } from "../database.js";
import type { NamedCounterStore, Usage, UsageQuery } from "./policy.js";

export const RESPONSE_RATELIMITING_METRICS = "response_ratelimiting_metrics";

const windowOf = (name: string, period: Period): ClusterWindow => ({ key: `${name}_${period}`, period });

export class ClusterNamedCounters implements NamedCounterStore {
  constructor(readonly db: PluginDatabase) {}

  usage(scope: LimitScope, identifier: string, queries: readonly UsageQuery[]): Promise<Usage> {
    const windows = queries.map((q) => windowOf(q.name, q.period));
    return readWindows(
      (sql, params) => this.db.query(sql, params),
      RESPONSE_RATELIMITING_METRICS,
      scope,
      identifier,
      windows,
    );
  }

  async increment(
    scope: LimitScope,
    identifier: string,
    name: string,
    periods: readonly Period[],
    value: number,
    at: number,
  ): Promise<void> {
    removeEndedWindowsSoon(this.db, RESPONSE_RATELIMITING_METRICS);
    const windows = periods.map((p) => windowOf(name, p));
    await addToWindows(
      (sql, params) => this.db.query(sql, params),
      RESPONSE_RATELIMITING_METRICS,
      scope,
      identifier,
      windows,
      value,
      at,
    );
  }

  /** The database handle is the gateway's: nothing of its own to close. */
  close(): void {}
}

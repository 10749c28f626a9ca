/**
 * `policy: cluster` (database mode) — rate-limiting's counters in Kong's `ratelimiting_metrics`
 * table, shared by every replica on the database, windows on the database server's clock
 * (_shared/cluster-counters.ts). One transaction per request counts it in every configured
 * window (INSERT … ON CONFLICT DO UPDATE, the rows locked until the end) and, when one of them
 * was already full, rolls the count back: replicas together never admit more than the limit (Kong
 * reads, then increments, and overshoots under bursts). Only the configured periods are counted.
 */
import { addToWindows, type ClusterWindow, removeEndedWindowsSoon } from "../_shared/cluster-counters.js";
import type { LimitScope } from "../_shared/limit-identity.js";
import type { PluginDatabase } from "../database.js";
import type { Consumption, CounterLimit, CounterPolicy } from "./policy.js";

export const RATELIMITING_METRICS = "ratelimiting_metrics";

export class ClusterCounters implements CounterPolicy {
  constructor(readonly db: PluginDatabase) {}

  consume(scope: LimitScope, identifier: string, limits: readonly CounterLimit[]): Promise<Consumption> {
    removeEndedWindowsSoon(this.db, RATELIMITING_METRICS);
    const windows: ClusterWindow[] = limits.map(({ period }) => ({ key: period, period }));
    return this.db.transaction(async (query) => {
      const counted = await addToWindows(query, RATELIMITING_METRICS, scope, identifier, windows, 1, null);
      // the usage before this request; the first limit it was already at stops it
      const usage = counted.map((w) => w.value - 1);
      const stop = limits.findIndex((l, i) => usage[i]! >= l.limit);
      const result: Consumption = {
        usage,
        stop,
        now: counted[0]?.now ?? Date.now(),
        starts: counted.map((w) => w.start),
      };
      return { commit: stop < 0, result };
    });
  }

  /** The database handle is the gateway's: nothing of its own to close. */
  close(): void {}
}

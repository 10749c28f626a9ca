import type { LimitScope } from "../_shared/limit-identity.js";
import type { Period } from "../_shared/periods.js";

/** What one request reads: the usage of `name`'s current window of each period. */
export interface UsageQuery {
  name: string;
  period: Period;
}

/** The usage of each queried window, and the store's clock when it read them (UTC ms). */
export interface Usage {
  used: number[];
  now: number;
}

/**
 * Where response-ratelimiting's counters live. Unlike rate-limiting's check-and-count, the
 * read (access phase) and the count (log phase, by what the upstream reported) are apart, as in
 * Kong: the count lands in the windows of the moment the usage was read (`at`).
 */
export interface NamedCounterStore {
  /**
   * `scope` separates plugin entries in a shared store (a local store belongs to one entry),
   * `identifier` the clients. Only the periods configured for a name are read and counted.
   */
  usage(scope: LimitScope, identifier: string, queries: readonly UsageQuery[]): Usage | Promise<Usage>;
  increment(
    scope: LimitScope,
    identifier: string,
    name: string,
    periods: readonly Period[],
    value: number,
    at: number,
  ): void | Promise<void>;
  close(): void | Promise<void>;
}

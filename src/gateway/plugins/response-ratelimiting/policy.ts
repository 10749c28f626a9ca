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
  /** `key` separates plugin entries and clients (Kong: route id, service id, identifier). */
  usage(key: string, queries: readonly UsageQuery[]): Usage | Promise<Usage>;
  increment(
    key: string,
    name: string,
    periods: readonly Period[],
    value: number,
    at: number,
  ): void | Promise<void>;
  close(): void | Promise<void>;
}

/**
 * `policy: local` — response-ratelimiting's counters in this process's memory, windows on its
 * clock. As rate-limiting's local policy, each period keeps only its current window's counters
 * (dropped wholesale when the window moves on) and at most MAX_KEYS_PER_WINDOW keys
 * (oldest evicted first, like Kong's shm LRU).
 */
import type { LimitScope } from "../_shared/limit-identity.js";
import { type Period, periodStart } from "../_shared/periods.js";
import type { NamedCounterStore, Usage, UsageQuery } from "./policy.js";

/** Most keys (client × limit name) kept per period window before the oldest are evicted. */
export const MAX_KEYS_PER_WINDOW = 200_000;

interface Bucket {
  start: number;
  counts: Map<string, number>;
}

export class LocalNamedCounters implements NamedCounterStore {
  private readonly buckets = new Map<Period, Bucket>();

  constructor(private readonly maxKeys = MAX_KEYS_PER_WINDOW) {}

  /** The store is the plugin entry's own: `scope` needs no part in the keys. */
  usage(_scope: LimitScope, identifier: string, queries: readonly UsageQuery[]): Usage {
    const now = Date.now();
    const used = queries.map(({ name, period }) => {
      return this.bucket(period, periodStart(period, now)).get(`${identifier}|${name}`) ?? 0;
    });
    return { used, now };
  }

  increment(
    _scope: LimitScope,
    identifier: string,
    name: string,
    periods: readonly Period[],
    value: number,
    at: number,
  ): void {
    const k = `${identifier}|${name}`;
    for (const period of periods) {
      const start = periodStart(period, at);
      const b = this.buckets.get(period);
      // the window the usage was read in is over: its counters are gone, and so is this count
      if (b !== undefined && b.start > start) continue;
      const map = this.bucket(period, start);
      const current = map.get(k);
      if (current === undefined && map.size >= this.maxKeys) {
        const oldest = map.keys().next().value;
        if (oldest !== undefined) map.delete(oldest);
      }
      map.set(k, (current ?? 0) + value);
    }
  }

  close(): void {
    this.buckets.clear();
  }

  private bucket(period: Period, start: number): Map<string, number> {
    let b = this.buckets.get(period);
    if (b === undefined) {
      b = { start, counts: new Map() };
      this.buckets.set(period, b);
    } else if (b.start < start) {
      b.start = start;
      b.counts = new Map();
    }
    return b.counts;
  }
}

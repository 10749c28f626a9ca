/**
 * `policy: local` — counters in this process's memory, windows on this process's clock.
 * Check and increment happen in one synchronous step (no await in between), so concurrent
 * requests can never overshoot. Each period keeps only the counters of its current window:
 * when the window moves on, the old counters are dropped wholesale, so memory is bounded by
 * the identifiers seen within one window (and capped, oldest identifiers evicted first,
 * like Kong's shm LRU).
 */
import type { LimitScope } from "../_shared/limit-identity.js";
import { PERIODS, type Period, periodStart } from "../_shared/periods.js";
import type { Consumption, CounterLimit, CounterPolicy } from "./policy.js";

/** Most identifiers kept per period window before the oldest are evicted. */
export const MAX_IDENTIFIERS_PER_WINDOW = 200_000;

interface Bucket {
  start: number;
  counts: Map<string, number>;
}

export class LocalCounters implements CounterPolicy {
  private readonly buckets = new Map<Period, Bucket>();
  private startsSecond = -1;
  private readonly startOf = new Map<Period, number>();

  constructor(private readonly maxIdentifiers = MAX_IDENTIFIERS_PER_WINDOW) {}

  /** The store is the plugin entry's own: `scope` needs no part in the keys. */
  consume(_scope: LimitScope, identifier: string, limits: readonly CounterLimit[]): Consumption {
    const now = Date.now();
    const key = identifier;
    const n = limits.length;
    const usage = new Array<number>(n);
    const starts = new Array<number>(n);
    const counts = new Array<Map<string, number>>(n);
    let stop = -1;
    for (let i = 0; i < n; i++) {
      const { period, limit } = limits[i]!;
      const start = this.windowStart(period, now);
      starts[i] = start;
      const map = this.bucket(period, start);
      counts[i] = map;
      const used = map.get(key) ?? 0;
      usage[i] = used;
      if (stop < 0 && used >= limit) stop = i;
    }
    if (stop < 0) {
      for (let i = 0; i < n; i++) {
        const map = counts[i]!;
        if (usage[i] === 0 && map.size >= this.maxIdentifiers) {
          const oldest = map.keys().next().value;
          if (oldest !== undefined) map.delete(oldest);
        }
        map.set(key, usage[i]! + 1);
      }
    }
    return { usage, stop, now, starts };
  }

  /** Number of identifiers currently counted for `period` (for tests and diagnostics). */
  size(period: Period): number {
    return this.buckets.get(period)?.counts.size ?? 0;
  }

  close(): void {
    this.buckets.clear();
  }

  /** The window starts of every period, recomputed at most once per second. */
  private windowStart(period: Period, now: number): number {
    const second = Math.floor(now / 1000);
    if (second !== this.startsSecond) {
      this.startsSecond = second;
      for (const p of PERIODS) this.startOf.set(p, periodStart(p, now));
    }
    return this.startOf.get(period)!;
  }

  private bucket(period: Period, start: number): Map<string, number> {
    let b = this.buckets.get(period);
    if (b === undefined) {
      b = { start, counts: new Map() };
      this.buckets.set(period, b);
    } else if (b.start !== start) {
      b.start = start;
      b.counts = new Map();
    }
    return b.counts;
  }
}

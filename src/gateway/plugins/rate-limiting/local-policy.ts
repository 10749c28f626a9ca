/**
 * `policy: local` — counters in this process's memory. Check and increment happen in one
 * synchronous step (no await in between), so concurrent requests can never overshoot.
 * Each period keeps only the counters of its current window: when the window moves on,
 * the old counters are dropped wholesale, so memory is bounded by the identifiers seen
 * within one window (and capped, oldest identifiers evicted first, like Kong's shm LRU).
 */
import type { Period } from "./periods.js";
import type { Consumption, CounterPolicy, CounterWindow } from "./policy.js";

/** Most identifiers kept per period window before the oldest are evicted. */
export const MAX_IDENTIFIERS_PER_WINDOW = 200_000;

interface Bucket {
  start: number;
  counts: Map<string, number>;
}

export class LocalCounters implements CounterPolicy {
  private readonly buckets = new Map<Period, Bucket>();

  constructor(private readonly maxIdentifiers = MAX_IDENTIFIERS_PER_WINDOW) {}

  consume(scope: string, identifier: string, windows: readonly CounterWindow[]): Consumption {
    const key = scope === "" ? identifier : `${scope}|${identifier}`;
    const n = windows.length;
    const usage = new Array<number>(n);
    const counts = new Array<Map<string, number>>(n);
    let stop = -1;
    for (let i = 0; i < n; i++) {
      const w = windows[i]!;
      const map = this.bucket(w.period, w.start);
      counts[i] = map;
      const used = map.get(key) ?? 0;
      usage[i] = used;
      if (stop < 0 && used >= w.limit) stop = i;
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
    return { usage, stop };
  }

  /** Number of identifiers currently counted for `period` (for tests and diagnostics). */
  size(period: Period): number {
    return this.buckets.get(period)?.counts.size ?? 0;
  }

  close(): void {
    this.buckets.clear();
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

/**
 * `policy: local` — counters in this process's memory (_shared/local-windows.ts: only the
 * current window of each period, capped), windows on this process's clock. Check and increment
 * happen in one synchronous step (no await in between), so concurrent requests can never
 * overshoot.
 */
import type { LimitScope } from "../_shared/limit-identity.js";
import { LocalWindows } from "../_shared/local-windows.js";
import { PERIODS, type Period, periodStart } from "../_shared/periods.js";
import type { Consumption, CounterLimit, CounterPolicy } from "./policy.js";

/** Most identifiers kept per period window before the oldest are evicted. */
export const MAX_IDENTIFIERS_PER_WINDOW = 200_000;

export class LocalCounters implements CounterPolicy {
  private readonly windows: LocalWindows;
  private startsSecond = -1;
  private readonly startOf = new Map<Period, number>();

  constructor(maxIdentifiers = MAX_IDENTIFIERS_PER_WINDOW) {
    this.windows = new LocalWindows(maxIdentifiers);
  }

  /** The store is the plugin entry's own: `scope` needs no part in the keys. */
  consume(_scope: LimitScope, identifier: string, limits: readonly CounterLimit[]): Consumption {
    const now = Date.now();
    const n = limits.length;
    const usage = new Array<number>(n);
    const starts = new Array<number>(n);
    const counts = new Array<Map<string, number>>(n);
    let stop = -1;
    for (let i = 0; i < n; i++) {
      const { period, limit } = limits[i]!;
      let start = this.windowStart(period, now);
      let map = this.windows.counters(period, start);
      if (map === null) {
        // the clock stepped back into an earlier window: keep counting in the one already current
        start = this.windows.currentStart(period)!;
        map = this.windows.counters(period, start)!;
      }
      starts[i] = start;
      counts[i] = map;
      const used = map.get(identifier) ?? 0;
      usage[i] = used;
      if (stop < 0 && used >= limit) stop = i;
    }
    if (stop < 0) {
      for (let i = 0; i < n; i++) this.windows.add(counts[i]!, identifier, 1);
    }
    return { usage, stop, now, starts };
  }

  /** Number of identifiers currently counted for `period` (for tests and diagnostics). */
  size(period: Period): number {
    return this.windows.size(period);
  }

  close(): void {
    this.windows.clear();
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
}

/**
 * `policy: local` — response-ratelimiting's counters in this process's memory, windows on its
 * clock (_shared/local-windows.ts, as rate-limiting's local policy: only the current window of
 * each period, at most MAX_KEYS_PER_WINDOW keys, oldest evicted first).
 */
import type { LimitScope } from "../_shared/limit-identity.js";
import { LocalWindows } from "../_shared/local-windows.js";
import { type Period, periodStart } from "../_shared/periods.js";
import type { NamedCounterStore, Usage, UsageQuery } from "./policy.js";

/** Most keys (client × limit name) kept per period window before the oldest are evicted. */
export const MAX_KEYS_PER_WINDOW = 200_000;

export class LocalNamedCounters implements NamedCounterStore {
  private readonly windows: LocalWindows;

  constructor(maxKeys = MAX_KEYS_PER_WINDOW) {
    this.windows = new LocalWindows(maxKeys);
  }

  /** The store is the plugin entry's own: `scope` needs no part in the keys. */
  usage(_scope: LimitScope, identifier: string, queries: readonly UsageQuery[]): Usage {
    const now = Date.now();
    const used = queries.map(({ name, period }) => {
      return this.windows.counters(period, periodStart(period, now))?.get(`${identifier}|${name}`) ?? 0;
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
    const key = `${identifier}|${name}`;
    for (const period of periods) {
      // null: the window the usage was read in is over; its counters are gone, and so is this count
      const counts = this.windows.counters(period, periodStart(period, at));
      if (counts !== null) this.windows.add(counts, key, value);
    }
  }

  close(): void {
    this.windows.clear();
  }
}

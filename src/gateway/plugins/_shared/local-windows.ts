/**
 * The counters of `policy: local` (rate-limiting and response-ratelimiting), in this process's
 * memory: per period, only the current window's counters — dropped wholesale when the window
 * moves on, so memory is bounded by the keys seen within one window — and at most `maxKeys`
 * keys per window, the oldest evicted first (like Kong's shm LRU).
 */
import type { Period } from "./periods.js";

interface Window {
  start: number;
  counts: Map<string, number>;
}

export class LocalWindows {
  private readonly windows = new Map<Period, Window>();

  constructor(private readonly maxKeys: number) {}

  /**
   * The counters of `period`'s window starting at `start` (those of an earlier window dropped);
   * null when a later window is counted already (the one asked for is over).
   */
  counters(period: Period, start: number): Map<string, number> | null {
    const w = this.windows.get(period);
    if (w === undefined) {
      const counts = new Map<string, number>();
      this.windows.set(period, { start, counts });
      return counts;
    }
    if (w.start > start) return null;
    if (w.start < start) {
      w.start = start;
      w.counts = new Map();
    }
    return w.counts;
  }

  /** Start of the window `period` counts now, or null before its first count. */
  currentStart(period: Period): number | null {
    return this.windows.get(period)?.start ?? null;
  }

  /** Add `value` to `key`'s counter in `counts` (a window of this store), evicting the oldest key when full. */
  add(counts: Map<string, number>, key: string, value: number): void {
    const current = counts.get(key);
    if (current === undefined && counts.size >= this.maxKeys) {
      const oldest = counts.keys().next().value;
      if (oldest !== undefined) counts.delete(oldest);
    }
    counts.set(key, (current ?? 0) + value);
  }

  /** Number of keys counted in `period`'s current window. */
  size(period: Period): number {
    return this.windows.get(period)?.counts.size ?? 0;
  }

  clear(): void {
    this.windows.clear();
  }
}

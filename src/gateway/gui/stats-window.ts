/**
 * The overview's rolling numbers: the last `windowSeconds` (60) of proxied requests in per-second
 * buckets (count, 5xx count) and a latency histogram per bucket (log-spaced bins), fed one call
 * per request from the access-log fields at `finish`. Reading sums the live buckets; nothing
 * grows with traffic.
 */
export const WINDOW_SECONDS = 60;

/** Upper bounds of the latency bins, ms (the last bin is open-ended). */
const BIN_BOUNDS: readonly number[] = (() => {
  const out: number[] = [];
  for (let ms = 0.25; ms < 120_000; ms *= 1.25) out.push(ms);
  return out;
})();

interface Bucket {
  second: number;
  count: number;
  errors: number;
  bins: Uint32Array;
}

export interface WindowStats {
  total: number;
  perSecond: number;
  errorRate: number;
  latencyMs: { p50: number; p90: number; p99: number };
}

export class StatsWindow {
  private readonly buckets: Bucket[];
  private totalEver = 0;

  constructor(
    private readonly seconds = WINDOW_SECONDS,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = Array.from({ length: seconds }, () => ({
      second: -1,
      count: 0,
      errors: 0,
      bins: new Uint32Array(BIN_BOUNDS.length + 1),
    }));
  }

  /** One finished request: its status and total latency (ms). */
  record(status: number, totalMs: number): void {
    const second = Math.floor(this.now() / 1000);
    const b = this.buckets[second % this.seconds]!;
    if (b.second !== second) {
      b.second = second;
      b.count = 0;
      b.errors = 0;
      b.bins.fill(0);
    }
    b.count++;
    if (status >= 500) b.errors++;
    b.bins[binOf(totalMs)]!++;
    this.totalEver++;
  }

  /** Requests since start (`total`), and the window's rate, 5xx share and latency percentiles. */
  read(): WindowStats {
    const nowSecond = Math.floor(this.now() / 1000);
    const bins = new Uint32Array(BIN_BOUNDS.length + 1);
    let count = 0;
    let errors = 0;
    for (const b of this.buckets) {
      if (b.second < 0 || nowSecond - b.second >= this.seconds) continue;
      count += b.count;
      errors += b.errors;
      for (let i = 0; i < bins.length; i++) bins[i]! += b.bins[i]!;
    }
    return {
      total: this.totalEver,
      perSecond: round(count / this.seconds, 3),
      errorRate: count === 0 ? 0 : round(errors / count, 4),
      latencyMs: {
        p50: percentile(bins, count, 0.5),
        p90: percentile(bins, count, 0.9),
        p99: percentile(bins, count, 0.99),
      },
    };
  }
}

function binOf(ms: number): number {
  let lo = 0;
  let hi = BIN_BOUNDS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= BIN_BOUNDS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The upper bound of the bin holding the q-th request (0 when there were none). */
function percentile(bins: Uint32Array, count: number, q: number): number {
  if (count === 0) return 0;
  const rank = Math.ceil(q * count);
  let seen = 0;
  for (let i = 0; i < bins.length; i++) {
    seen += bins[i]!;
    if (seen >= rank) return round(BIN_BOUNDS[Math.min(i, BIN_BOUNDS.length - 1)]!, 2);
  }
  return round(BIN_BOUNDS[BIN_BOUNDS.length - 1]!, 2);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

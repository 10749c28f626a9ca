import { type Algorithm, isAvailable, type Peer } from "./algorithms.js";

/** Kong's decay time of the moving average, seconds (latency.lua's DECAY_TIME). */
export const DECAY_SECONDS = 10;
/** Power of two choices: how many candidates are scored per pick. */
const PICK_SET_SIZE = 2;

interface Ewma {
  /** seconds */
  value: number;
  /** when value was last updated, seconds on `now`'s clock */
  at: number;
}

/**
 * Kong's `latency` algorithm (kong/runloop/balancer/latency.lua, after Finagle's PeakEwma): each
 * address keeps an exponentially weighted moving average of its response times, decayed with
 * time (weight e^(-Δt/10 s)); a pick scores two candidates by their decayed average divided by
 * their weight and takes the lower. An address that has not answered for a while decays towards
 * 0 and gets tried again. A new address starts at the average of the known ones (slow start), so
 * it is not flooded while its average is still unknown.
 *
 * Difference from Kong: its two candidates are the first two of a Lua table walk (the same pair
 * while the address set stands); here they are drawn at random, which is what the algorithm it
 * follows does. With two addresses both are always compared, as in Kong.
 */
export class LatencyEwma implements Algorithm {
  private readonly ewma = new Map<Peer, Ewma>();

  constructor(
    private readonly now: () => number = () => performance.now() / 1000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Addresses gone lose their average; new ones start at the mean of the available ones. */
  rebuild(peers: readonly Peer[]): void {
    const current = new Set(peers);
    for (const p of this.ewma.keys()) if (!current.has(p)) this.ewma.delete(p);
    const available = peers.filter((p) => isAvailable(p, null));
    if (available.length === 0) return;
    let total = 0;
    for (const p of available) total += this.ewma.get(p)?.value ?? 0;
    const slowStart = total / available.length;
    const at = this.now();
    for (const p of peers) if (!this.ewma.has(p)) this.ewma.set(p, { value: slowStart, at });
  }

  pick(peers: readonly Peer[], _hashKey: string | null, exclude: ReadonlySet<Peer> | null): Peer | null {
    const candidates = peers.filter((p) => isAvailable(p, exclude));
    const n = candidates.length;
    if (n <= 1) return candidates[0] ?? null;
    const now = this.now();
    // k distinct candidates drawn at random (a partial Fisher–Yates shuffle)
    const k = Math.min(PICK_SET_SIZE, n);
    let best: Peer | null = null;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(this.random() * (n - i));
      const p = candidates[j]!;
      candidates[j] = candidates[i]!;
      candidates[i] = p;
      const score = this.decayed(p, 0, now) / p.weight;
      if (score < bestScore) {
        best = p;
        bestScore = score;
      }
    }
    return best;
  }

  /** An attempt on `peer` took `seconds` (connect + response, as Kong's upstream times). */
  observe(peer: Peer, seconds: number): void {
    const now = this.now();
    const value = this.decayed(peer, seconds, now);
    this.ewma.set(peer, { value, at: now });
  }

  /** The peer's average (seconds) as it would be now; for reports and tests. */
  average(peer: Peer): number {
    return this.decayed(peer, 0, this.now());
  }

  private decayed(peer: Peer, rtt: number, now: number): number {
    const e = this.ewma.get(peer);
    const value = e?.value ?? 0;
    const elapsed = Math.max(0, now - (e?.at ?? Number.NEGATIVE_INFINITY));
    const w = Math.exp(-elapsed / DECAY_SECONDS);
    return value * w + rtt * (1 - w);
  }
}

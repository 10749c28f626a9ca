import type { PoolHolder } from "../transport/dispatch.js";
import type { HealthCounter } from "./health.js";

/** One balancer entry: a resolved address of a target (it remembers its upstream pool). */
export interface Peer extends PoolHolder {
  /** `ip:port` */
  readonly key: string;
  readonly ip: string;
  readonly port: number;
  readonly weight: number;
  /** the target as written (`app:8000`) and its host name, for Host headers and reports */
  readonly target: string;
  readonly hostname: string;
  readonly targetId: string;
  readonly health: HealthCounter;
  /** requests in flight (least-connections) */
  active: number;
  /** smooth weighted round-robin state */
  current: number;
}

export function isAvailable(peer: Peer, exclude: ReadonlySet<Peer> | null): boolean {
  return peer.weight > 0 && peer.health.healthy && (exclude === null || !exclude.has(peer));
}

export interface Algorithm {
  /** Called whenever the peer list changes (DNS, config). */
  rebuild(peers: readonly Peer[]): void;
  pick(peers: readonly Peer[], hashKey: string | null, exclude: ReadonlySet<Peer> | null): Peer | null;
  /** An attempt on `peer` took `seconds` (only the algorithms that learn from it implement it). */
  observe?(peer: Peer, seconds: number): void;
}

/** nginx's smooth weighted round-robin: even interleaving, exact weight ratios. */
export class RoundRobin implements Algorithm {
  rebuild(peers: readonly Peer[]): void {
    for (const p of peers) p.current = 0;
  }

  pick(peers: readonly Peer[], _hashKey: string | null, exclude: ReadonlySet<Peer> | null): Peer | null {
    let best: Peer | null = null;
    let total = 0;
    for (const p of peers) {
      if (!isAvailable(p, exclude)) continue;
      p.current += p.weight;
      total += p.weight;
      if (best === null || p.current > best.current) best = p;
    }
    if (best !== null) best.current -= total;
    return best;
  }
}

/** Fewest in-flight requests relative to weight; ties rotate. */
export class LeastConnections implements Algorithm {
  private rotation = 0;

  rebuild(): void {}

  pick(peers: readonly Peer[], _hashKey: string | null, exclude: ReadonlySet<Peer> | null): Peer | null {
    const n = peers.length;
    if (n === 0) return null;
    const start = this.rotation++ % n;
    let best: Peer | null = null;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const p = peers[(start + i) % n]!;
      if (!isAvailable(p, exclude)) continue;
      const score = (p.active + 1) / p.weight;
      if (score < bestScore) {
        best = p;
        bestScore = score;
      }
    }
    return best;
  }
}

/** 32-bit FNV-1a with a murmur3 finalizer: fast, well spread. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Consistent hashing on a ring of points (at most `slots`) shared by the peers in proportion
 * to their weights. A key maps to the first point at or after its hash; unavailable peers are
 * skipped by walking on. Adding or removing a peer only moves the keys of its own points.
 */
export class ConsistentHashing implements Algorithm {
  private points = new Uint32Array(0);
  private owners: Peer[] = [];
  private readonly fallback = new RoundRobin();

  constructor(private readonly slots: number) {}

  rebuild(peers: readonly Peer[]): void {
    const usable = peers.filter((p) => p.weight > 0);
    // Points per peer depend on its own weight only (160 per weight 100, as ketama), so adding or
    // removing a peer never moves keys between the others; `slots` caps the ring size.
    const wanted = usable.reduce((s, p) => s + pointsFor(p.weight), 0);
    const scale = wanted > this.slots ? this.slots / wanted : 1;
    const entries: Array<{ pos: number; peer: Peer }> = [];
    for (const p of usable) {
      const count = Math.max(1, Math.round(pointsFor(p.weight) * scale));
      for (let j = 0; j < count; j++) entries.push({ pos: hash32(`${p.key}#${j}`), peer: p });
    }
    entries.sort((a, b) => a.pos - b.pos || (a.peer.key < b.peer.key ? -1 : 1));
    this.points = Uint32Array.from(entries, (e) => e.pos);
    this.owners = entries.map((e) => e.peer);
    this.fallback.rebuild(peers);
  }

  pick(peers: readonly Peer[], hashKey: string | null, exclude: ReadonlySet<Peer> | null): Peer | null {
    if (hashKey === null) return this.fallback.pick(peers, null, exclude);
    const n = this.points.length;
    if (n === 0) return null;
    let i = lowerBound(this.points, hash32(hashKey));
    const seen = new Set<Peer>();
    for (let step = 0; step < n && seen.size < peers.length; step++, i++) {
      const owner = this.owners[i % n]!;
      if (seen.has(owner)) continue;
      seen.add(owner);
      if (isAvailable(owner, exclude)) return owner;
    }
    return null;
  }
}

function pointsFor(weight: number): number {
  return Math.max(1, Math.round((weight * POINTS_PER_100) / 100));
}

const POINTS_PER_100 = 160;

function lowerBound(arr: Uint32Array, value: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

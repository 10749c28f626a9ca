/**
 * The `memory` strategy: an in-process LRU of cached responses with a storage TTL per
 * entry and two bounds (bytes and entries). Reads refresh recency; expired entries are
 * dropped when met and by eviction.
 */

/** A cached response, in the shape Kong's Admin API shows it. */
export interface CachedResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  body_len: number;
  /** seconds since the epoch when stored */
  timestamp: number;
  /** freshness lifetime in seconds (cache_ttl or the Cache-Control TTL) */
  ttl: number;
  version: number;
}

interface Slot {
  value: CachedResponse;
  /** ms since the epoch after which the entry is gone (storage TTL) */
  expiresAt: number;
  bytes: number;
}

function sizeOf(key: string, value: CachedResponse): number {
  let bytes = 256 + key.length + value.body.length;
  for (const [name, v] of Object.entries(value.headers)) {
    bytes += name.length + (Array.isArray(v) ? v.reduce((n, s) => n + s.length + 8, 0) : v.length) + 16;
  }
  return bytes;
}

export class MemoryCacheStore {
  private readonly slots = new Map<string, Slot>();
  private bytes = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.slots.size;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  /** The entry, or null when absent or past its storage TTL. Marks it most recently used. */
  fetch(key: string, now = Date.now()): CachedResponse | null {
    const slot = this.slots.get(key);
    if (slot === undefined) return null;
    if (slot.expiresAt <= now) {
      this.remove(key, slot);
      return null;
    }
    this.slots.delete(key);
    this.slots.set(key, slot);
    return slot.value;
  }

  /** Store for `ttlSeconds`; false when the entry alone exceeds the byte bound. */
  store(key: string, value: CachedResponse, ttlSeconds: number, now = Date.now()): boolean {
    const bytes = sizeOf(key, value);
    if (bytes > this.maxBytes) return false;
    const old = this.slots.get(key);
    if (old !== undefined) this.remove(key, old);
    while (
      this.slots.size > 0 &&
      (this.bytes + bytes > this.maxBytes || this.slots.size >= this.maxEntries)
    ) {
      const oldestKey = this.slots.keys().next().value as string;
      this.remove(oldestKey, this.slots.get(oldestKey)!);
    }
    this.slots.set(key, { value, expiresAt: now + ttlSeconds * 1000, bytes });
    this.bytes += bytes;
    return true;
  }

  purge(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.remove(key, slot);
    return true;
  }

  flush(): void {
    this.slots.clear();
    this.bytes = 0;
  }

  private remove(key: string, slot: Slot): void {
    this.slots.delete(key);
    this.bytes -= slot.bytes;
  }
}

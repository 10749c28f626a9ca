/**
 * Where proxy-cache keeps responses (its strategy), and the `memory` strategy: an
 * in-process LRU of cached responses with a storage TTL per entry and two bounds (bytes
 * and entries). Reads refresh recency; expired entries are dropped when met and by eviction.
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

/** A response to store; the store dates it on its own clock. */
export type ResponseToStore = Omit<CachedResponse, "timestamp">;

/** A cache hit: the entry and how old it is (seconds, on the store's clock). */
export interface CacheLookup {
  response: CachedResponse;
  age: number;
}

/**
 * A strategy's store. Synchronous where it lives in this process; a store elsewhere
 * answers with promises that reject when it cannot be reached.
 */
export interface CacheStore {
  /** Largest entry (bytes) it keeps: a longer response is not buffered for it. */
  readonly maxEntryBytes: number;
  lookup(key: string): CacheLookup | null | Promise<CacheLookup | null>;
  /** Keep `value` for `ttlSeconds` (storage TTL); whether it was stored. */
  store(key: string, value: ResponseToStore, ttlSeconds: number): boolean | Promise<boolean>;
  /** Remove one entry; whether it was there. */
  purge(key: string): boolean | Promise<boolean>;
  /** Remove every entry of this store. */
  flush(): void | Promise<void>;
  /** Release what the store holds (connections). */
  close(): void | Promise<void>;
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

export class MemoryCacheStore implements CacheStore {
  private readonly slots = new Map<string, Slot>();
  private bytes = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxEntries: number,
  ) {}

  get maxEntryBytes(): number {
    return this.maxBytes;
  }

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

  lookup(key: string, now = Date.now()): CacheLookup | null {
    const response = this.fetch(key, now);
    return response === null ? null : { response, age: Math.floor(now / 1000) - response.timestamp };
  }

  /** Store for `ttlSeconds`, dated now; false when the entry alone exceeds the byte bound. */
  store(key: string, toStore: ResponseToStore, ttlSeconds: number, now = Date.now()): boolean {
    const value: CachedResponse = { ...toStore, timestamp: Math.floor(now / 1000) };
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

  close(): void {
    // nothing held outside this object
  }

  private remove(key: string, slot: Slot): void {
    this.slots.delete(key);
    this.bytes -= slot.bytes;
  }
}

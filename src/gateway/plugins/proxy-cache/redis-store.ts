/**
 * The `redis` strategy: cached responses in Redis, so every gateway replica serves (and
 * purges) the same entries. One hash per entry under `proxy-cache:<plugin id>:<cache key>`
 * (fields `meta` — status, headers, body_len, ttl, version as JSON —, `body`, binary, and
 * `timestamp`), expiring after the storage TTL. Entries are dated and aged by the Redis
 * server's clock (TIME inside the scripts), so replicas with skewed clocks agree on Age and
 * freshness. Each lookup and store is one round trip.
 */
import { type RedisLease, RedisScript } from "../_shared/redis.js";
import type { CachedResponse, CacheLookup, CacheStore, ResponseToStore } from "./store.js";

/** Largest response (body and headers) the redis strategy stores: 8 MiB. */
export const REDIS_MAX_ENTRY_BYTES = 8 * 1024 * 1024;

/** ARGV: meta JSON, body, storage TTL seconds. */
const STORE = new RedisScript(`
local now = redis.call('TIME')[1]
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'body', ARGV[2], 'timestamp', now)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`);

/** Reply: { server seconds, meta, body, timestamp } (the last three nil when absent). */
const LOOKUP = new RedisScript(`
local entry = redis.call('HMGET', KEYS[1], 'meta', 'body', 'timestamp')
return { redis.call('TIME')[1], entry[1], entry[2], entry[3] }
`);

type Meta = Omit<CachedResponse, "body" | "timestamp">;

export class RedisCacheStore implements CacheStore {
  readonly maxEntryBytes = REDIS_MAX_ENTRY_BYTES;
  private readonly prefix: string;

  /** `namespace`: the plugin entry's id (one cache per plugin entry, as with `memory`). */
  constructor(
    private readonly lease: RedisLease,
    namespace: string,
  ) {
    this.prefix = `proxy-cache:${namespace}:`;
  }

  get optionsKey(): string {
    return this.lease.connection.optionsKey;
  }

  async lookup(key: string): Promise<CacheLookup | null> {
    const reply = await this.lease.connection.runBuffer(LOOKUP, [this.prefix + key], []);
    if (!Array.isArray(reply) || reply.length !== 4) throw new Error("unexpected reply from Redis script");
    const [now, meta, body, timestamp] = reply as Array<Buffer | null>;
    if (!(meta instanceof Buffer) || !(body instanceof Buffer) || !(timestamp instanceof Buffer)) return null;
    const parsed = JSON.parse(meta.toString("utf8")) as Meta;
    const stored = Number(timestamp.toString());
    const response: CachedResponse = {
      status: parsed.status,
      headers: parsed.headers,
      body,
      body_len: parsed.body_len,
      timestamp: stored,
      ttl: parsed.ttl,
      version: parsed.version,
    };
    return { response, age: Number(String(now)) - stored };
  }

  /** Nothing is stored for a TTL under one second or a body over maxEntryBytes. */
  async store(key: string, value: ResponseToStore, ttlSeconds: number): Promise<boolean> {
    const ttl = Math.floor(ttlSeconds);
    if (ttl < 1 || value.body.length > this.maxEntryBytes) return false;
    const meta: Meta = {
      status: value.status,
      headers: value.headers,
      body_len: value.body_len,
      ttl: value.ttl,
      version: value.version,
    };
    // as EVAL: executed before any lookup sent after it, by this replica or (later) by another
    await this.lease.connection.run(STORE, [this.prefix + key], [JSON.stringify(meta), value.body, ttl], {
      inOrder: true,
    });
    return true;
  }

  async purge(key: string): Promise<boolean> {
    return (await this.lease.connection.del(this.prefix + key)) > 0;
  }

  async flush(): Promise<void> {
    for await (const keys of this.lease.connection.scan(`${escapeGlob(this.prefix)}*`)) {
      await this.lease.connection.del(...keys);
    }
  }

  close(): Promise<void> {
    return this.lease.release();
  }
}

/** A literal for a Redis MATCH pattern. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

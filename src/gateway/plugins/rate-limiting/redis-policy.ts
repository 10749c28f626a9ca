/**
 * `policy: redis` — counters in Redis, shared by every gateway replica. One EVAL runs the
 * whole decision inside Redis (read every window, refuse if one is full, otherwise INCR +
 * EXPIRE all of them), so replicas sharing a Redis never admit more than the limit
 * together (Kong's own redis policy reads and increments separately and overshoots under
 * bursts). Keys follow Kong's layout: `ratelimit:<route>:<service>:<id>:<window ms>:<period>`.
 *
 * Connection handling: commands are never queued while Redis is unreachable — they fail
 * at once, so with `fault_tolerant` requests pass immediately instead of waiting; only
 * the very first connection is waited for (up to `timeout`).
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import type { GatewayLogger } from "../types.js";
import { PERIOD_SECONDS } from "./periods.js";
import type { Consumption, CounterPolicy, CounterWindow } from "./policy.js";
import type { RedisOptions } from "./schema.js";

const CHECK_AND_INCREMENT = `
local n = #KEYS
local result = { 0 }
for i = 1, n do
  local used = tonumber(redis.call('GET', KEYS[i])) or 0
  result[i + 1] = used
  if result[1] == 0 and used >= tonumber(ARGV[i]) then result[1] = i end
end
if result[1] == 0 then
  for i = 1, n do
    redis.call('INCR', KEYS[i])
    redis.call('EXPIRE', KEYS[i], ARGV[n + i])
  end
end
return result
`;
const SCRIPT_SHA = createHash("sha1").update(CHECK_AND_INCREMENT).digest("hex");

/** Identity of a Redis connection, so a reloaded plugin keeps its connection when unchanged. */
export function redisOptionsKey(o: RedisOptions): string {
  return JSON.stringify(o);
}

export class RedisCounters implements CounterPolicy {
  readonly optionsKey: string;
  private readonly client: Redis;
  private everReady = false;
  private firstAttemptFailed = false;
  private readonly firstReady: Promise<void>;
  private lastErrorLog = 0;
  private suppressedErrors = 0;
  private closed = false;

  constructor(
    private readonly options: RedisOptions,
    private readonly logger: GatewayLogger,
  ) {
    this.optionsKey = redisOptionsKey(options);
    this.client = new (loadIoredis().Redis)({
      host: options.host,
      port: options.port,
      username: options.username ?? undefined,
      password: options.password ?? undefined,
      db: options.database,
      connectTimeout: Math.max(1, options.timeout),
      commandTimeout: Math.max(1, options.timeout),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * 100, 1000),
      ...(options.ssl
        ? { tls: { rejectUnauthorized: options.sslVerify, servername: options.serverName ?? options.host } }
        : {}),
    });
    this.firstReady = new Promise<void>((resolve) => {
      this.client.once("ready", () => resolve());
    });
    this.client.on("ready", () => {
      if (this.everReady) this.logger.info("rate-limiting: reconnected to Redis", this.where());
      this.everReady = true;
    });
    this.client.on("error", (err: Error) => {
      if (!this.everReady) this.firstAttemptFailed = true;
      this.logThrottled(`rate-limiting: Redis connection error: ${err.message}`);
    });
    this.client.on("end", () => {
      if (!this.everReady) this.firstAttemptFailed = true;
    });
    this.client.connect().catch(() => {
      // reported through the "error" event; ioredis keeps retrying
    });
  }

  async consume(scope: string, identifier: string, windows: readonly CounterWindow[]): Promise<Consumption> {
    await this.whenConnected();
    const n = windows.length;
    // KEYS[1..n], then ARGV: n limits followed by n expirations
    const keysAndArgs = new Array<string | number>(3 * n);
    for (let i = 0; i < n; i++) {
      const w = windows[i]!;
      keysAndArgs[i] = `ratelimit:${scope}:${identifier}:${w.start}:${w.period}`;
      keysAndArgs[n + i] = w.limit;
      keysAndArgs[2 * n + i] = PERIOD_SECONDS[w.period];
    }
    let reply: unknown;
    try {
      reply = await this.client.evalsha(SCRIPT_SHA, n, ...keysAndArgs);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      reply = await this.client.eval(CHECK_AND_INCREMENT, n, ...keysAndArgs);
    }
    if (!Array.isArray(reply) || reply.length !== n + 1)
      throw new Error("unexpected reply from Redis script");
    const nums = reply.map((v) => Number(v));
    return { stop: nums[0]! - 1, usage: nums.slice(1) };
  }

  /** Log a data-store failure, at most once every 5 s (with the number of repeats). */
  logThrottled(message: string): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 5000) {
      this.suppressedErrors++;
      return;
    }
    const repeated = this.suppressedErrors;
    this.suppressedErrors = 0;
    this.lastErrorLog = now;
    this.logger.error(message, { ...this.where(), ...(repeated > 0 ? { repeated } : {}) });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.removeAllListeners("error");
    this.client.on("error", () => {});
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private where(): Record<string, unknown> {
    return { redis: `${this.options.host}:${this.options.port}`, database: this.options.database };
  }

  private async whenConnected(): Promise<void> {
    const status = this.client.status;
    if (status === "ready") return;
    if (this.closed) throw new Error("Redis connection closed");
    if (!this.everReady && !this.firstAttemptFailed) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("timeout connecting to Redis")),
          Math.max(1, this.options.timeout),
        );
      });
      try {
        await Promise.race([this.firstReady, timeout]);
      } finally {
        clearTimeout(timer);
      }
      return;
    }
    throw new Error(`Redis is not connected (${status})`);
  }
}

const requireCjs = createRequire(import.meta.url);

/**
 * ioredis, loaded on first use: only a rate-limiting entry with `policy: redis` needs it, and
 * it weighs ~20 MB of resident memory in a gateway that never talks to Redis.
 */
function loadIoredis(): typeof import("ioredis") {
  return requireCjs("ioredis") as typeof import("ioredis");
}

/**
 * Redis for the plugins that keep shared state there (rate-limiting's `redis` policy,
 * proxy-cache's `redis` strategy): Kong 3.x's `redis` config record, and one connection
 * per distinct set of settings in the process, leased by every plugin entry that uses it
 * (a reload, or two plugins on the same Redis, share it; the last release closes it).
 *
 * Commands are never queued while Redis is unreachable — they fail at once, so a plugin
 * falls back immediately instead of waiting; only the very first connection is waited for
 * (up to `timeout`). Scripts run as EVALSHA, loaded with EVAL when Redis does not know them.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { GatewayLogger } from "../types.js";

/** Kong 3.x's `redis` record (host, port, timeout, username, password, database, ssl…). */
export function redisConfigSchema(usedWhen: string) {
  return z
    .strictObject({
      host: z.string().min(1).nullish().describe("A string representing a host name, such as example.com."),
      port: z
        .number()
        .int()
        .min(0)
        .max(65535)
        .default(6379)
        .describe("An integer representing a port number between 0 and 65535, inclusive."),
      timeout: z
        .number()
        .int()
        .min(0)
        .max(2147483646)
        .default(2000)
        .describe("Connect and command timeout for Redis, in milliseconds."),
      username: z
        .string()
        .nullish()
        .describe(
          "Username to use for Redis connections. If undefined, ACL authentication won't be performed. " +
            "This requires Redis v6.0.0+. To be compatible with Redis v5.x.y, you can set it to `default`.",
        ),
      password: z
        .string()
        .nullish()
        .describe("Password to use for Redis connections. If undefined, no AUTH commands are sent to Redis."),
      database: z
        .number()
        .int()
        .default(0)
        .describe("Database to use for the Redis connection when using the `redis` strategy."),
      ssl: z.boolean().default(false).describe("If set to true, uses SSL to connect to Redis."),
      ssl_verify: z
        .boolean()
        .default(false)
        .describe("If set to true, verifies the validity of the server SSL certificate."),
      server_name: z
        .string()
        .nullish()
        .describe("A string representing an SNI (server name indication) value for TLS."),
    })
    .describe(`Redis configuration (used when ${usedWhen}).`);
}

export type RedisConfig = z.output<ReturnType<typeof redisConfigSchema>>;

/** Effective connection settings. */
export interface RedisOptions {
  host: string;
  port: number;
  timeout: number;
  username: string | null;
  password: string | null;
  database: number;
  ssl: boolean;
  sslVerify: boolean;
  serverName: string | null;
}

/** The settings of a `redis` record as it stands (host defaulting to 127.0.0.1). */
export function redisOptionsFrom(r: RedisConfig): RedisOptions {
  return {
    host: r.host ?? "127.0.0.1",
    port: r.port,
    timeout: r.timeout,
    username: r.username ?? null,
    password: r.password ?? null,
    database: r.database,
    ssl: r.ssl,
    sslVerify: r.ssl_verify,
    serverName: r.server_name ?? null,
  };
}

/**
 * Kong's deprecated flat `redis_*` shorthands (rate-limiting, response-ratelimiting): spread into a
 * plugin's config object beside its nested `redis` record.
 */
export const redisShorthandFields = {
  redis_host: z.string().nullish().describe("Deprecated shorthand for `redis.host`."),
  redis_port: z.number().int().min(0).max(65535).nullish().describe("Deprecated shorthand for `redis.port`."),
  redis_password: z.string().nullish().describe("Deprecated shorthand for `redis.password`."),
  redis_username: z.string().nullish().describe("Deprecated shorthand for `redis.username`."),
  redis_database: z.number().int().nullish().describe("Deprecated shorthand for `redis.database`."),
  redis_timeout: z.number().int().min(0).nullish().describe("Deprecated shorthand for `redis.timeout`."),
  redis_ssl: z.boolean().nullish().describe("Deprecated shorthand for `redis.ssl`."),
  redis_ssl_verify: z.boolean().nullish().describe("Deprecated shorthand for `redis.ssl_verify`."),
  redis_server_name: z.string().nullish().describe("Deprecated shorthand for `redis.server_name`."),
};

type RedisShorthands = {
  [K in keyof typeof redisShorthandFields]?: z.output<(typeof redisShorthandFields)[K]>;
};

/**
 * The effective Redis settings of a config with a nested `redis` record and the shorthands: the
 * nested fields, else the shorthands (a nested field still at its default gives way to a shorthand).
 */
export function redisOptionsWithShorthands(conf: RedisShorthands & { redis: RedisConfig }): RedisOptions {
  const r = conf.redis;
  return {
    host: r.host ?? conf.redis_host ?? "127.0.0.1",
    port: conf.redis_port != null && r.port === 6379 ? conf.redis_port : r.port,
    timeout: conf.redis_timeout != null && r.timeout === 2000 ? conf.redis_timeout : r.timeout,
    username: r.username ?? conf.redis_username ?? null,
    password: r.password ?? conf.redis_password ?? null,
    database: conf.redis_database != null && r.database === 0 ? conf.redis_database : r.database,
    ssl: r.ssl || (conf.redis_ssl ?? false),
    sslVerify: r.ssl_verify || (conf.redis_ssl_verify ?? false),
    serverName: r.server_name ?? conf.redis_server_name ?? null,
  };
}

/** Identity of a set of settings: one connection per identity. */
export function redisOptionsKey(o: RedisOptions): string {
  return JSON.stringify(o);
}

/** A Lua script and its SHA-1 (for EVALSHA). */
export class RedisScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }
}

type ScriptArg = string | number | Buffer;

/** One Redis connection, as the plugins use it. */
export class RedisConnection {
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
      if (this.everReady) this.logger.info("reconnected to Redis", this.where());
      this.everReady = true;
    });
    this.client.on("error", (err: Error) => {
      if (!this.everReady) this.firstAttemptFailed = true;
      this.logThrottled(`Redis connection error: ${err.message}`);
    });
    this.client.on("end", () => {
      if (!this.everReady) this.firstAttemptFailed = true;
    });
    this.client.connect().catch(() => {
      // reported through the "error" event; ioredis keeps retrying
    });
  }

  /**
   * Run `script` (EVALSHA, EVAL when not loaded yet); string replies. `inOrder`: always as
   * EVAL, so it is executed before any command sent after it on this connection (an EVALSHA
   * answered NOSCRIPT would be re-sent after them).
   */
  async run(
    script: RedisScript,
    keys: readonly string[],
    args: readonly ScriptArg[],
    opts: { inOrder?: boolean } = {},
  ): Promise<unknown> {
    const client = await this.ready();
    if (opts.inOrder) return await client.eval(script.source, keys.length, ...keys, ...args);
    try {
      return await client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return await client.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  /** `run` with binary-safe replies (bulk strings as Buffers). */
  async runBuffer(
    script: RedisScript,
    keys: readonly string[],
    args: readonly ScriptArg[],
  ): Promise<unknown> {
    const client = await this.ready();
    try {
      return await client.callBuffer("EVALSHA", [script.sha, keys.length, ...keys, ...args]);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return await client.callBuffer("EVAL", [script.source, keys.length, ...keys, ...args]);
    }
  }

  /** DEL keys; the number removed. */
  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return (await this.ready()).del(...keys);
  }

  /** Every key matching a glob pattern (SCAN, never KEYS), in batches. */
  async *scan(pattern: string): AsyncGenerator<string[]> {
    const client = await this.ready();
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== "0");
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

  /** The client once connected; throws at once when Redis is unreachable (after the first attempt). */
  private async ready(): Promise<Redis> {
    const status = this.client.status;
    if (status === "ready") return this.client;
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
      return this.client;
    }
    throw new Error(`Redis is not connected (${status})`);
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith("NOSCRIPT");
}

/** A plugin entry's hold on a shared connection. */
export interface RedisLease {
  readonly connection: RedisConnection;
  /** Give the connection back (once); the last lease closes it. */
  release(): Promise<void>;
}

const pool = new Map<string, { connection: RedisConnection; leases: number }>();

/** A lease on the process's connection for `options` (opened on first use). */
export function leaseRedis(options: RedisOptions, logger: GatewayLogger): RedisLease {
  const key = redisOptionsKey(options);
  let slot = pool.get(key);
  if (slot === undefined) {
    slot = { connection: new RedisConnection(options, logger), leases: 0 };
    pool.set(key, slot);
  }
  slot.leases++;
  const held = slot;
  let released = false;
  return {
    connection: held.connection,
    release: async () => {
      if (released) return;
      released = true;
      held.leases--;
      if (held.leases > 0) return;
      if (pool.get(key) === held) pool.delete(key);
      await held.connection.close();
    },
  };
}

const requireCjs = createRequire(import.meta.url);

/**
 * ioredis, loaded on first use: only plugin entries that keep state in Redis need it, and it
 * weighs ~20 MB of resident memory in a gateway that never talks to Redis.
 */
function loadIoredis(): typeof import("ioredis") {
  return requireCjs("ioredis") as typeof import("ioredis");
}

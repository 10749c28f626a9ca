/**
 * Kong's rate-limiting in the access phase: identify the client (limit_by), atomically
 * check-and-count the request in every configured window, then either answer
 * `error_code` / `{"message": error_message}` with Retry-After, or let it through with
 * Kong's X-RateLimit-* and RateLimit-* headers on the response.
 */
import { databaseOf } from "../_shared/cluster-counters.js";
import { Retirement } from "../_shared/handover.js";
import { type LimitScope, limitIdentity, limitScope } from "../_shared/limit-identity.js";
import {
  LIMIT_HEADER,
  PERIOD_SECONDS,
  PERIODS,
  type Period,
  REMAINING_HEADER,
  resetSeconds,
} from "../_shared/periods.js";
import { leaseRedis, redisOptionsKey } from "../_shared/redis.js";
import type { PluginEntry, PluginEnvironment, PluginHandler, RequestContext } from "../types.js";
import { ClusterCounters } from "./cluster-policy.js";
import { LocalCounters } from "./local-policy.js";
import type { Consumption, CounterPolicy } from "./policy.js";
import { RedisCounters } from "./redis-policy.js";
import { type RateLimitingConfig, redisOptionsOf } from "./schema.js";

export class RateLimitingHandler implements PluginHandler {
  readonly policy: CounterPolicy;
  private readonly limits: ReadonlyArray<{ period: Period; limit: number; limitText: string }>;
  /** Kong's route id and service id of the plugin entry (in the shared stores' keys). */
  private readonly scope: LimitScope;
  private readonly headerName: string | null;
  private readonly logger: PluginEnvironment["logger"];
  private lastErrorLog = 0;
  private retired: Retirement | null = null;

  constructor(
    private readonly conf: RateLimitingConfig,
    entry: PluginEntry<RateLimitingConfig>,
    env: PluginEnvironment,
  ) {
    this.logger = env.logger;
    this.limits = PERIODS.flatMap((period) => {
      const limit = conf[period];
      return typeof limit === "number" ? [{ period, limit, limitText: String(limit) }] : [];
    });
    this.headerName = conf.header_name ? conf.header_name.toLowerCase() : null;
    this.scope = limitScope(entry);
    this.policy = this.adoptOrCreatePolicy(env);
    if (conf.limit_by === "consumer-group") {
      env.logger.warn(
        "rate-limiting: limit_by consumer-group is not supported (no consumer groups); counting by client IP",
        {
          plugin: entry.id,
        },
      );
    }
  }

  access(ctx: RequestContext): void | Promise<void> {
    let result: Consumption | Promise<Consumption>;
    try {
      result = this.policy.consume(this.scope, this.identify(ctx), this.limits);
    } catch (err) {
      this.failed(ctx, err);
      return;
    }
    if (result instanceof Promise) {
      return result.then(
        (r) => this.apply(ctx, r),
        (err: unknown) => this.failed(ctx, err),
      );
    }
    this.apply(ctx, result);
  }

  async close(): Promise<void> {
    await this.retired?.now();
    await this.policy.close();
  }

  private identify(ctx: RequestContext): string {
    return limitIdentity(ctx, {
      limitBy: this.conf.limit_by,
      headerName: this.headerName,
      path: this.conf.path,
    });
  }

  /** Headers (and the 429) from the policy's decision; the reset is counted on the policy's clock. */
  private apply(ctx: RequestContext, r: Consumption): void {
    const stopped = r.stop >= 0;
    if (this.conf.hide_client_headers) {
      if (stopped) ctx.exitMessage(this.conf.error_code, this.conf.error_message);
      return;
    }
    // admitted: straight onto the response; refused: onto the 429
    const headers: Record<string, string | string[]> = stopped ? {} : ctx.downstreamHeaders;
    // RateLimit-* describe the closest limit: least remaining, then the longest window (Kong).
    let limit = "";
    let window = 0;
    let remaining = Number.POSITIVE_INFINITY;
    let reset = 0;
    for (let i = 0; i < this.limits.length; i++) {
      const { period, limit: max, limitText } = this.limits[i]!;
      let left = max - r.usage[i]!;
      if (!stopped || r.stop === i) left -= 1;
      left = Math.max(0, left);
      const seconds = PERIOD_SECONDS[period];
      if (left < remaining || (left === remaining && seconds > window)) {
        limit = limitText;
        window = seconds;
        remaining = left;
        reset = resetSeconds(period, r.now, r.starts[i]!);
      }
      headers[LIMIT_HEADER[period]] = limitText;
      headers[REMAINING_HEADER[period]] = String(left);
    }
    headers["ratelimit-limit"] = limit;
    headers["ratelimit-remaining"] = String(remaining);
    headers["ratelimit-reset"] = String(reset);
    if (stopped) {
      headers["retry-after"] = String(reset);
      ctx.exitMessage(this.conf.error_code, this.conf.error_message, { headers });
    }
  }

  /** The counter store failed: pass (fault_tolerant) or answer Kong's 500. */
  private failed(ctx: RequestContext, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.conf.fault_tolerant) {
      const now = Date.now();
      if (now - this.lastErrorLog >= 5000) {
        this.lastErrorLog = now;
        this.logger.error(`rate-limiting: failed to get usage: ${message}`, { request_id: ctx.requestId });
      }
      return;
    }
    this.logger.error(`rate-limiting: ${message}`, { request_id: ctx.requestId });
    ctx.exitMessage(500, "An unexpected error occurred");
  }

  /** Keep the counters of the same plugin entry across config reloads when the store is unchanged. */
  private adoptOrCreatePolicy(env: PluginEnvironment): CounterPolicy {
    const prev = env.previous instanceof RateLimitingHandler ? env.previous.policy : null;
    if (this.conf.policy === "cluster") {
      // the schema offers `cluster` only in database mode, where the core gives the database
      const database = databaseOf(env);
      if (database === undefined) throw new Error("rate-limiting: policy cluster needs database mode");
      if (prev instanceof ClusterCounters && prev.db === database) return prev;
      if (prev) this.retired = new Retirement(() => prev.close());
      return new ClusterCounters(database);
    }
    if (this.conf.policy === "redis") {
      const options = redisOptionsOf(this.conf);
      if (prev instanceof RedisCounters && prev.optionsKey === redisOptionsKey(options)) return prev;
      if (prev) this.retired = new Retirement(() => prev.close());
      return new RedisCounters(leaseRedis(options, env.logger));
    }
    if (prev instanceof LocalCounters) return prev;
    if (prev) this.retired = new Retirement(() => prev.close());
    return new LocalCounters();
  }
}

export function createRateLimitingHandler(
  entry: PluginEntry<RateLimitingConfig>,
  env: PluginEnvironment,
): PluginHandler {
  return new RateLimitingHandler(entry.config, entry, env);
}

/**
 * Kong's response-ratelimiting: the access phase reads the usage of every named limit's current
 * windows (and refuses at once with `block_on_first_violation`), sending the upstream
 * `X-RateLimit-Remaining-<name>`; the response-headers phase reads what the upstream used from
 * `header_name` (`videos=2, images=1`), sends the client `X-RateLimit-Limit-<name>-<period>` /
 * `X-RateLimit-Remaining-<name>-<period>`, removes the header, and turns the response into an
 * empty 429 when it uses a limit already exhausted; the log phase counts what was used.
 */
import { databaseOf } from "../_shared/cluster-counters.js";
import { Retirement } from "../_shared/handover.js";
import { type LimitScope, limitIdentity, limitScope } from "../_shared/limit-identity.js";
import { PERIODS, type Period } from "../_shared/periods.js";
import { leaseRedis, redisOptionsKey } from "../_shared/redis.js";
import type {
  PluginEntry,
  PluginEnvironment,
  PluginHandler,
  RequestContext,
  ResponseHead,
} from "../types.js";
import { ClusterNamedCounters } from "./cluster-policy.js";
import { LocalNamedCounters } from "./local-policy.js";
import type { NamedCounterStore, Usage, UsageQuery } from "./policy.js";
import { RedisNamedCounters } from "./redis-policy.js";
import { type ResponseRateLimitingConfig, redisOptionsOf } from "./schema.js";

const PLUGIN = "response-ratelimiting";
const EMPTY = Buffer.alloc(0);

interface Query extends UsageQuery {
  limit: number;
  /** lowercased header names of this (name, period) */
  limitHeader: string;
  remainingHeader: string;
}

/** What one request carries from phase to phase (Kong's kong.ctx.plugin). */
interface RequestState {
  /** who the request is counted for (limit_by) */
  identifier: string;
  /** the store's clock when the usage was read */
  at: number;
  /** remaining per query before this request; null: no usage (the store failed, tolerated) */
  remaining: number[] | null;
  /** units the upstream reported, per limit name */
  increments: Map<string, number>;
  stop: boolean;
}

export class ResponseRateLimitingHandler implements PluginHandler {
  readonly store: NamedCounterStore;
  private readonly queries: readonly Query[];
  /** limit name → the periods configured for it */
  private readonly periodsOf = new Map<string, Period[]>();
  private readonly names: readonly string[];
  /** Kong's route id and service id of the plugin entry (in the shared stores' keys) */
  private readonly scope: LimitScope;
  private readonly headerName: string;
  private readonly logger: PluginEnvironment["logger"];
  private lastErrorLog = 0;
  private retired: Retirement | null = null;

  constructor(
    private readonly conf: ResponseRateLimitingConfig,
    entry: PluginEntry<ResponseRateLimitingConfig>,
    env: PluginEnvironment,
  ) {
    this.logger = env.logger;
    const queries: Query[] = [];
    for (const [name, limits] of Object.entries(conf.limits)) {
      const periods: Period[] = [];
      for (const period of PERIODS) {
        const limit = limits[period];
        if (typeof limit !== "number") continue;
        periods.push(period);
        const suffix = `${name}-${period}`.toLowerCase();
        queries.push({
          name,
          period,
          limit,
          limitHeader: `x-ratelimit-limit-${suffix}`,
          remainingHeader: `x-ratelimit-remaining-${suffix}`,
        });
      }
      this.periodsOf.set(name, periods);
    }
    this.queries = queries;
    this.names = [...this.periodsOf.keys()];
    this.headerName = conf.header_name.toLowerCase();
    this.scope = limitScope(entry);
    this.store = this.adoptOrCreateStore(env);
  }

  access(ctx: RequestContext): void | Promise<void> {
    if (this.queries.length === 0) return;
    const identifier = this.identify(ctx);
    let result: Usage | Promise<Usage>;
    try {
      result = this.store.usage(this.scope, identifier, this.queries);
    } catch (err) {
      this.failed(ctx, identifier, err);
      return;
    }
    if (result instanceof Promise) {
      return result.then(
        (u) => this.admit(ctx, identifier, u),
        (err: unknown) => this.failed(ctx, identifier, err),
      );
    }
    this.admit(ctx, identifier, result);
  }

  responseHeaders(ctx: RequestContext, res: ResponseHead): void {
    const state = this.stateOf(ctx);
    if (state === null) return;
    state.increments = this.parseIncrements(res.headers[this.headerName]);
    const remaining = state.remaining;
    // the store failed (tolerated): nothing known, the header stays as Kong leaves it
    if (remaining === null) return;
    let stop = false;
    for (let i = 0; i < this.queries.length; i++) {
      const q = this.queries[i]!;
      const used = state.increments.get(q.name) ?? 0;
      const left = remaining[i]!;
      if (!this.conf.hide_client_headers) {
        res.headers[q.limitHeader] = String(q.limit);
        res.headers[q.remainingHeader] = String(Math.max(0, left - used));
      }
      if (used > 0 && left <= 0) stop = true;
    }
    delete res.headers[this.headerName];
    if (stop) {
      // Kong's kong.response.exit(429) without a body; nothing is counted
      state.stop = true;
      res.status = 429;
    }
  }

  wantsResponseBody(ctx: RequestContext): boolean {
    return this.stateOf(ctx)?.stop === true;
  }

  responseBody(): Buffer {
    return EMPTY;
  }

  log(ctx: RequestContext): void | Promise<void> {
    const state = this.stateOf(ctx);
    if (state === null || state.stop || state.remaining === null) return;
    const pending: Promise<void>[] = [];
    for (const [name, value] of state.increments) {
      if (value === 0) continue;
      const periods = this.periodsOf.get(name);
      if (periods === undefined) continue;
      try {
        const r = this.store.increment(this.scope, state.identifier, name, periods, value, state.at);
        if (r instanceof Promise) pending.push(r);
      } catch (err) {
        this.logError("could not increment counter", err, ctx);
      }
    }
    if (pending.length > 0) {
      return Promise.all(pending).then(
        () => undefined,
        (err: unknown) => this.logError("could not increment counter", err, ctx),
      );
    }
  }

  async close(): Promise<void> {
    await this.retired?.now();
    await this.store.close();
  }

  private identify(ctx: RequestContext): string {
    return limitIdentity(ctx, { limitBy: this.conf.limit_by });
  }

  /** The usage is known: refuse on a violation (block_on_first_violation), else tell the upstream. */
  private admit(ctx: RequestContext, identifier: string, usage: Usage): void {
    const remaining = this.queries.map((q, i) => q.limit - usage.used[i]!);
    for (const name of this.names) {
      let least = Number.POSITIVE_INFINITY;
      for (let i = 0; i < this.queries.length; i++) {
        if (this.queries[i]!.name !== name) continue;
        // Kong tests `remaining == 0`; a count past the limit (a report of several units) is a violation too
        if (this.conf.block_on_first_violation && remaining[i]! <= 0) {
          ctx.exitMessage(429, `API rate limit exceeded for '${name}'`);
          return;
        }
        least = Math.min(least, remaining[i]!);
      }
      ctx.upstream.headers[`x-ratelimit-remaining-${name.toLowerCase()}`] = String(least);
    }
    this.setState(ctx, { identifier, at: usage.now, remaining, increments: new Map(), stop: false });
  }

  /** The counter store failed: pass without counting (fault_tolerant) or answer Kong's 500. */
  private failed(ctx: RequestContext, identifier: string, err: unknown): void {
    if (this.conf.fault_tolerant) {
      this.logError("failed to get usage", err, ctx);
      this.setState(ctx, { identifier, at: Date.now(), remaining: null, increments: new Map(), stop: false });
      return;
    }
    this.logger.error(`${PLUGIN}: ${errorText(err)}`, { request_id: ctx.requestId });
    ctx.exitMessage(500, "An unexpected error occurred");
  }

  /** Kong's parse_header: `name=units` parts, comma separated or one per header line; unknown names ignored. */
  private parseIncrements(value: string | string[] | undefined): Map<string, number> {
    const out = new Map<string, number>();
    if (value === undefined) return out;
    for (const line of Array.isArray(value) ? value : [value]) {
      for (const part of line.split(",")) {
        const pieces = part.split("=");
        if (pieces.length !== 2) continue;
        const name = pieces[0]!.trim();
        if (!this.periodsOf.has(name)) continue;
        const units = pieces[1]!.trim();
        if (/^-?\d+$/.test(units)) out.set(name, Number(units));
        else out.delete(name);
      }
    }
    return out;
  }

  private logError(what: string, err: unknown, ctx: RequestContext): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 5000) return;
    this.lastErrorLog = now;
    this.logger.error(`${PLUGIN}: ${what}: ${errorText(err)}`, { request_id: ctx.requestId });
  }

  private stateOf(ctx: RequestContext): RequestState | null {
    return ctx.pluginState<{ value: RequestState | null }>(PLUGIN, () => ({ value: null })).value;
  }

  private setState(ctx: RequestContext, state: RequestState): void {
    ctx.pluginState<{ value: RequestState | null }>(PLUGIN, () => ({ value: null })).value = state;
  }

  /** Keep the counters of the same plugin entry across config reloads when the store is unchanged. */
  private adoptOrCreateStore(env: PluginEnvironment): NamedCounterStore {
    const prev = env.previous instanceof ResponseRateLimitingHandler ? env.previous.store : null;
    if (this.conf.policy === "cluster") {
      // the schema offers `cluster` only in database mode, where the core gives the database
      const database = databaseOf(env);
      if (database === undefined) throw new Error(`${PLUGIN}: policy cluster needs database mode`);
      if (prev instanceof ClusterNamedCounters && prev.db === database) return prev;
      if (prev) this.retired = new Retirement(() => prev.close());
      return new ClusterNamedCounters(database);
    }
    if (this.conf.policy === "redis") {
      const options = redisOptionsOf(this.conf);
      if (prev instanceof RedisNamedCounters && prev.optionsKey === redisOptionsKey(options)) return prev;
      if (prev) this.retired = new Retirement(() => prev.close());
      return new RedisNamedCounters(leaseRedis(options, env.logger));
    }
    if (prev instanceof LocalNamedCounters) return prev;
    if (prev) this.retired = new Retirement(() => prev.close());
    return new LocalNamedCounters();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createResponseRateLimitingHandler(
  entry: PluginEntry<ResponseRateLimitingConfig>,
  env: PluginEnvironment,
): PluginHandler {
  return new ResponseRateLimitingHandler(entry.config, entry, env);
}

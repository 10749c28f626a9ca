/**
 * Kong's proxy-cache: in access, answer from the cache (X-Cache-Status: Hit, Age) or mark
 * the request Miss / Refresh / Bypass; when the upstream response is cacheable (status,
 * content type, and Cache-Control when `cache_control` is on), store it after the body
 * has been received (without delaying the response). Only such responses are buffered;
 * every other one streams. A store that cannot be reached (Redis down) never fails a
 * request: the lookup counts as Bypass (proxied, not stored), a failed store is logged.
 */
import { Retirement } from "../_shared/handover.js";
import { leaseRedis, redisOptionsFrom, redisOptionsKey } from "../_shared/redis.js";
import type {
  GatewayLogger,
  PluginEntry,
  PluginEnvironment,
  PluginHandler,
  RequestContext,
  ResponseHead,
} from "../types.js";
import { registerProxyCacheAdmin } from "./admin.js";
import { buildCacheKey, headersKey, paramsKey } from "./cache-key.js";
import {
  type Directives,
  directiveNumber,
  type MediaType,
  mediaTypeMatches,
  parseDirectives,
  parseMediaType,
  resourceTtl,
} from "./http-directives.js";
import { RedisCacheStore } from "./redis-store.js";
import { cacheRegistryFor, type ProxyCacheInstance } from "./registry.js";
import type { ProxyCacheConfig } from "./schema.js";
import {
  type CachedResponse,
  type CacheLookup,
  type CacheStore,
  MemoryCacheStore,
  type ResponseToStore,
} from "./store.js";

const CACHE_VERSION = 1;

/** Response fields never replayed from the cache (hop-by-hop, plus Content-Length set anew). */
const NOT_REPLAYED = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailers",
  "transfer-encoding",
  "upgrade",
  "content-length",
]);

type DiagnosticHeader = "age" | "X-Cache-Status" | "X-Cache-Key";

/** Per-request state: the key to store under (null: nothing to store). */
interface RequestState {
  key: string | null;
  headers?: Record<string, string | string[]>;
  ttl?: number;
}

const STATE = "proxy-cache";
const newState = (): RequestState => ({ key: null });

function canonicalName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export class ProxyCacheHandler implements PluginHandler, ProxyCacheInstance {
  readonly store: CacheStore;
  readonly pluginId: string;
  private readonly methods: ReadonlySet<string>;
  private readonly statuses: ReadonlySet<number>;
  private readonly contentTypes: MediaType[];
  private readonly unregister: () => void;
  private readonly logger: GatewayLogger;
  private lastErrorLog = 0;
  private retired: Retirement | null = null;

  constructor(
    private readonly conf: ProxyCacheConfig,
    entry: PluginEntry<ProxyCacheConfig>,
    env: PluginEnvironment,
  ) {
    this.pluginId = entry.id;
    this.methods = new Set(conf.request_method);
    this.statuses = new Set(conf.response_code);
    this.contentTypes = conf.content_type.flatMap((t) => {
      const parsed = parseMediaType(t);
      return parsed ? [parsed] : [];
    });
    this.logger = env.logger;
    const prev = env.previous instanceof ProxyCacheHandler ? env.previous : null;
    this.store = this.adoptOrCreateStore(prev, entry, env);
    this.unregister = cacheRegistryFor(env.nodeId).add(this);
    if (prev) {
      // a reloaded entry: this instance now answers for its cache in the Admin API; a store
      // not taken over is released once the requests still running on it are done
      prev.unregister();
      const old = prev.store;
      if (old !== this.store) this.retired = new Retirement(() => old.close());
    }
    registerProxyCacheAdmin(env);
  }

  access(ctx: RequestContext): void | Promise<void> {
    const cc = parseDirectives(ctx.request.headers["cache-control"]);
    if (!this.cacheableRequest(ctx, cc)) {
      this.setHeader(ctx, "X-Cache-Status", "Bypass");
      return;
    }
    const q = ctx.request.path.indexOf("?");
    let uri = q < 0 ? ctx.request.path : ctx.request.path.slice(0, q);
    if (this.conf.ignore_uri_case) uri = uri.toLowerCase();
    const key = buildCacheKey({
      consumerId: ctx.consumer?.id ?? null,
      routeId: ctx.route?.id ?? "", // access runs on matched requests only
      method: ctx.request.method,
      uri,
      params: paramsKey(ctx.request.query, this.conf.vary_query_params),
      headers: headersKey(ctx.request.headers, this.conf.vary_headers),
    });
    this.setHeader(ctx, "X-Cache-Key", key);

    let found: CacheLookup | null | Promise<CacheLookup | null>;
    try {
      found = this.store.lookup(key);
    } catch (err) {
      this.storeUnreachable(ctx, err);
      return;
    }
    if (found instanceof Promise) {
      return found.then(
        (lookup) => this.answer(ctx, cc, key, lookup),
        (err: unknown) => this.storeUnreachable(ctx, err),
      );
    }
    this.answer(ctx, cc, key, found);
  }

  /** Hit, Miss, Refresh or Bypass from what the store holds under `key`. */
  private answer(ctx: RequestContext, cc: Directives, key: string, found: CacheLookup | null): void {
    if (found === null) {
      if (this.conf.cache_control && cc["only-if-cached"] !== undefined) {
        ctx.exit(504);
        return;
      }
      this.signalCacheable(ctx, key, "Miss");
      return;
    }
    const { response: cached, age } = found;
    if (cached.version !== CACHE_VERSION) {
      this.settle(this.store.purge(key), "purge");
      this.signalCacheable(ctx, key, "Bypass");
      return;
    }
    if (this.conf.cache_control) {
      const maxAge = directiveNumber(cc, "max-age");
      const maxStale = directiveNumber(cc, "max-stale");
      const minFresh = directiveNumber(cc, "min-fresh");
      if (
        (maxAge !== undefined && age > maxAge) ||
        (maxStale !== undefined && age - cached.ttl > maxStale) ||
        (minFresh !== undefined && cached.ttl - age < minFresh)
      ) {
        this.signalCacheable(ctx, key, "Refresh");
        return;
      }
    } else if (age > this.conf.cache_ttl) {
      this.signalCacheable(ctx, key, "Refresh");
      return;
    }
    this.serveHit(ctx, key, cached, age);
  }

  responseHeaders(ctx: RequestContext, res: ResponseHead): void {
    const state = ctx.pluginState(STATE, newState);
    if (state.key === null) return;
    const cc = parseDirectives(res.headers["cache-control"]);
    // answers of the gateway or of plugins (errors, exits) are never cached
    if (res.source === "exit" || !this.cacheableResponse(res, cc)) {
      this.setHeader(ctx, "X-Cache-Status", "Bypass", res);
      state.key = null;
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(res.headers)) headers[canonicalName(name)] = value;
    state.headers = headers;
    state.ttl = this.conf.cache_control
      ? resourceTtl(cc, res.headers.expires, nowSeconds())
      : this.conf.cache_ttl;
  }

  /**
   * The body is needed only for a response being stored: bypassed, uncacheable and
   * too-large-to-store responses stream to the client unbuffered.
   */
  wantsResponseBody(ctx: RequestContext, res: ResponseHead): boolean {
    const state = ctx.pluginState(STATE, newState);
    if (state.key === null || state.headers === undefined) return false;
    const length = Number(res.headers["content-length"]);
    if (Number.isFinite(length) && length > this.store.maxEntryBytes) {
      state.key = null; // the store would refuse it anyway
      return false;
    }
    return true;
  }

  responseBody(ctx: RequestContext, res: ResponseHead, body: Buffer): Buffer {
    const state = ctx.pluginState(STATE, newState);
    if (state.key === null || state.headers === undefined) return body;
    const ttl = state.ttl ?? this.conf.cache_ttl;
    const value: ResponseToStore = {
      status: res.status,
      headers: state.headers,
      body,
      body_len: body.length,
      ttl,
      version: CACHE_VERSION,
    };
    const storageTtl = this.conf.storage_ttl ?? (this.conf.cache_control ? ttl : this.conf.cache_ttl);
    // not awaited: the response goes on while a remote store writes (Kong stores in a timer)
    this.settle(this.store.store(state.key, value, storageTtl), "store");
    return body;
  }

  async close(): Promise<void> {
    this.unregister();
    await this.retired?.now();
    await this.store.close();
  }

  private adoptOrCreateStore(
    prev: ProxyCacheHandler | null,
    entry: PluginEntry<ProxyCacheConfig>,
    env: PluginEnvironment,
  ): CacheStore {
    const conf = this.conf;
    const old = prev?.store;
    if (conf.strategy === "redis") {
      const options = redisOptionsFrom(conf.redis);
      if (old instanceof RedisCacheStore && old.optionsKey === redisOptionsKey(options)) return old;
      return new RedisCacheStore(leaseRedis(options, env.logger), entry.id);
    }
    if (
      old instanceof MemoryCacheStore &&
      old.maxBytes === conf.memory.max_bytes &&
      old.maxEntries === conf.memory.max_entries
    ) {
      return old;
    }
    return new MemoryCacheStore(conf.memory.max_bytes, conf.memory.max_entries);
  }

  /** The lookup failed (Redis unreachable): proxy the request as Bypass, store nothing. */
  private storeUnreachable(ctx: RequestContext, err: unknown): void {
    this.logFailure("lookup", err);
    ctx.pluginState(STATE, newState).key = null;
    this.setHeader(ctx, "X-Cache-Status", "Bypass");
  }

  /** A store or purge in the background: failures are logged, never thrown. */
  private settle(result: unknown, what: string): void {
    if (result instanceof Promise) result.catch((err: unknown) => this.logFailure(what, err));
  }

  /** At most one log line every 5 s per plugin entry. */
  private logFailure(what: string, err: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 5000) return;
    this.lastErrorLog = now;
    this.logger.error(
      `proxy-cache: cache ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
      {
        plugin: this.pluginId,
      },
    );
  }

  private cacheableRequest(ctx: RequestContext, cc: Directives): boolean {
    if (!this.methods.has(ctx.request.method)) return false;
    if (
      this.conf.cache_control &&
      (cc["no-store"] !== undefined ||
        cc["no-cache"] !== undefined ||
        ctx.request.headers.authorization !== undefined)
    ) {
      return false;
    }
    return true;
  }

  private cacheableResponse(res: ResponseHead, cc: Directives): boolean {
    if (!this.statuses.has(res.status)) return false;
    const contentType = res.headers["content-type"];
    if (typeof contentType !== "string" || contentType === "") return false;
    const actual = parseMediaType(contentType);
    if (actual === null || !this.contentTypes.some((expected) => mediaTypeMatches(actual, expected)))
      return false;
    if (this.conf.cache_control) {
      if (cc.private !== undefined || cc["no-store"] !== undefined || cc["no-cache"] !== undefined)
        return false;
      if (resourceTtl(cc, res.headers.expires, nowSeconds()) <= 0) return false;
    }
    return true;
  }

  private signalCacheable(ctx: RequestContext, key: string, status: "Miss" | "Refresh" | "Bypass"): void {
    ctx.pluginState(STATE, newState).key = key;
    this.setHeader(ctx, "X-Cache-Status", status);
  }

  private serveHit(ctx: RequestContext, key: string, cached: CachedResponse, age: number): void {
    ctx.shared.set("proxy_cache_hit", { res: cached });
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(cached.headers)) {
      const lower = name.toLowerCase();
      if (NOT_REPLAYED.has(lower) || lower.includes("ratelimit-remaining")) continue;
      if (lower === "age" || lower === "x-cache-status" || lower === "x-cache-key") continue;
      headers[name] = value;
    }
    const debug = ctx.request.headers["kong-debug"] !== undefined;
    if (debug || this.conf.response_headers.age) headers.age = String(Math.floor(age));
    if (debug || this.conf.response_headers["X-Cache-Status"]) headers["x-cache-status"] = "Hit";
    if (debug || this.conf.response_headers["X-Cache-Key"]) headers["x-cache-key"] = key;
    ctx.exit(cached.status, cached.body, { headers });
  }

  /** Kong's set_header: only diagnostic headers the config enables (all of them with `Kong-Debug`). */
  private setHeader(ctx: RequestContext, name: DiagnosticHeader, value: string, res?: ResponseHead): void {
    if (ctx.request.headers["kong-debug"] === undefined && !this.conf.response_headers[name]) return;
    if (res) res.headers[name.toLowerCase()] = value;
    else ctx.downstreamHeaders[name.toLowerCase()] = value;
  }
}

export function createProxyCacheHandler(
  entry: PluginEntry<ProxyCacheConfig>,
  env: PluginEnvironment,
): PluginHandler {
  return new ProxyCacheHandler(entry.config, entry, env);
}

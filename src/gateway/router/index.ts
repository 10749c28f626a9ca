/**
 * The gateway router: `buildRouter(config)` → Router whose `match(req)` answers the route
 * Kong 3.x (`router_flavor = traditional_compatible`) would pick, or null (the proxy then
 * answers 404 `{"message":"no Route matched with those values"}`).
 *
 * Cost does not grow with the number of routes:
 *  - routes whose hosts are all plain are bucketed per host; the others share one bucket;
 *  - inside a bucket, routes sit in a radix tree keyed by the literal text every matching
 *    path starts with (a plain path prefix, or the literal head of a regex): one walk of the
 *    request path finds them, not one test per route;
 *  - the few candidates found are tried in priority order; the first full match wins;
 *  - results are memoized in a bounded recently-used cache (2 × 5000 entries; Kong keeps
 *    5000) keyed on method, normalized path, host, port and the headers routes look at;
 *    a cached RouteMatch is shared by the requests it answers, so it is frozen.
 * `buildLinearRouter` tries every route in order: the reference the indexed one must agree
 * with (property test) and the baseline of the router benchmark.
 */
import type { GatewayConfig } from "../config/types.js";
import { type CompiledRoute, compileRoutes, splitHostPort } from "./compile.js";
import { buildMatch, type MatchInput, matchRoute } from "./match.js";
import { normalizePath } from "./normalize.js";
import { RadixTree } from "./radix.js";
import type { RouteMatch, RouteRequest, Router } from "./types.js";

export type { RouteMatch, RouteRequest, Router } from "./types.js";

const HTTP_SUBSYSTEM = new Set(["http", "https", "grpc", "grpcs", "ws", "wss"]);
const CACHE_SIZE = 5000;

/** Routes the HTTP router serves: http-family protocols, service enabled. */
function routableRoutes(config: GatewayConfig): CompiledRoute[] {
  const disabled = new Set(config.services.filter((s) => !s.enabled).map((s) => s.id));
  const routes = config.routes.filter(
    (r) => r.protocols.some((p) => HTTP_SUBSYSTEM.has(p)) && !(r.service !== null && disabled.has(r.service)),
  );
  return compileRoutes(routes, config.services);
}

/**
 * Bounded recently-used cache in two generations: lookups hit the young map, or the old
 * one (and are promoted); when the young map is full it becomes the old one. O(1) per
 * operation, at most 2 × `size` entries, recently used entries survive a turnover.
 */
class MatchCache {
  private young = new Map<string, RouteMatch | null>();
  private old = new Map<string, RouteMatch | null>();

  constructor(private readonly size: number) {}

  get(key: string): RouteMatch | null | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: string, value: RouteMatch | null): void {
    if (this.young.size >= this.size) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}

function addToBucket(bucket: RadixTree, route: CompiledRoute): void {
  if (route.paths === null) {
    bucket.add("", route.rank);
    return;
  }
  for (const p of route.paths) bucket.add(p.literalPrefix, route.rank);
}

/** Parse the request into what matching needs (normalized path, host and port). */
export function matchInput(req: RouteRequest): MatchInput {
  let host = req.host;
  let port: number | null = req.port ?? null;
  if (port === null) {
    const raw = req.headers.host;
    if (typeof raw === "string") {
      const hp = splitHostPort(raw);
      port = hp.port;
      if (host === "") host = hp.host;
    }
  }
  if (host.includes(":")) {
    const hp = splitHostPort(host);
    host = hp.host;
    port = port ?? hp.port;
  }
  const q = req.path.indexOf("?");
  const rawPath = q === -1 ? req.path : req.path.slice(0, q);
  return {
    method: req.method.toUpperCase(),
    host: host.toLowerCase(),
    port,
    path: normalizePath(rawPath === "" ? "/" : rawPath, true),
    headers: req.headers,
  };
}

class IndexedRouter implements Router {
  private readonly byHost = new Map<string, RadixTree>();
  private readonly anyHost = new RadixTree();
  private readonly cache = new MatchCache(CACHE_SIZE);
  private readonly headerNames: string[];

  constructor(private readonly routes: CompiledRoute[]) {
    const names = new Set<string>();
    for (const route of routes) {
      for (const h of route.headers ?? []) names.add(h.name);
      const hosts = route.hosts;
      if (hosts?.every((h) => h.kind === "exact")) {
        for (const h of new Set(hosts.map((x) => x.value))) {
          let bucket = this.byHost.get(h);
          if (!bucket) {
            bucket = new RadixTree();
            this.byHost.set(h, bucket);
          }
          addToBucket(bucket, route);
        }
      } else {
        addToBucket(this.anyHost, route);
      }
    }
    this.headerNames = [...names].sort();
  }

  match(req: RouteRequest): RouteMatch | null {
    const input = matchInput(req);
    const key = this.cacheKey(input);
    let result = this.cache.get(key);
    if (result === undefined) {
      result = this.lookup(input);
      if (result !== null) {
        // answers are shared between requests (no copy per request): frozen, captures too
        if (result.uriCaptures !== null) Object.freeze(result.uriCaptures);
        Object.freeze(result);
      }
      this.cache.set(key, result);
    }
    return result;
  }

  private cacheKey(input: MatchInput): string {
    let key = `${input.method}|${input.path}|${input.host}|${input.port ?? ""}`;
    for (const name of this.headerNames) {
      const v = input.headers[name];
      if (v === undefined) continue;
      key += `|${name}=${Array.isArray(v) ? v.join("\u0000") : String(v)}`.toLowerCase();
    }
    return key;
  }

  private lookup(input: MatchInput): RouteMatch | null {
    const ranks: number[] = [];
    this.byHost.get(input.host)?.collect(input.path, ranks);
    this.anyHost.collect(input.path, ranks);
    if (ranks.length > 1) ranks.sort((a, b) => a - b);
    let last = -1;
    for (const rank of ranks) {
      if (rank === last) continue;
      last = rank;
      const route = this.routes[rank]!;
      const hit = matchRoute(route, input);
      if (hit) return buildMatch(route, input, hit);
    }
    return null;
  }
}

class LinearRouter implements Router {
  constructor(private readonly routes: CompiledRoute[]) {}

  match(req: RouteRequest): RouteMatch | null {
    const input = matchInput(req);
    for (const route of this.routes) {
      const hit = matchRoute(route, input);
      if (hit) return buildMatch(route, input, hit);
    }
    return null;
  }
}

/** Build the indexed router for a loaded configuration. */
export function buildRouter(config: GatewayConfig): Router {
  return new IndexedRouter(routableRoutes(config));
}

/** The reference router: every route tried in priority order (tests and benchmarks). */
export function buildLinearRouter(config: GatewayConfig): Router {
  return new LinearRouter(routableRoutes(config));
}

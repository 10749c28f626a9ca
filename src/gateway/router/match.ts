/**
 * Matching one compiled route against one request (all fields the route sets must match),
 * and building the RouteMatch (matched path, uri captures, upstream path).
 */
import type { IncomingHttpHeaders } from "node:http";
import type { CompiledRoute, HostMatcher } from "./compile.js";
import { escapePath } from "./normalize.js";
import type { RouteMatch } from "./types.js";
import { upstreamPathFor } from "./upstream-path.js";

/** The request as the matcher sees it, computed once per lookup. */
export interface MatchInput {
  method: string;
  /** lowercased host without port */
  host: string;
  /** port from the Host header, null when absent */
  port: number | null;
  /** normalized path */
  path: string;
  headers: IncomingHttpHeaders;
}

export interface PathHit {
  /** the text of the request path the route path matched */
  matched: string;
  /** the route path as configured ("/api", "~/users/(?<id>\\d+)"); "" when the route has no paths */
  source: string;
  captures: Record<string, string> | null;
}

function hostMatches(h: HostMatcher, host: string, port: number | null): boolean {
  if (h.port !== null && h.port !== port) return false;
  switch (h.kind) {
    case "exact":
      return host === h.value;
    case "suffix":
      return host.endsWith(h.value);
    case "prefix":
      return host.startsWith(h.value);
  }
}

function headerValues(headers: IncomingHttpHeaders, name: string): string[] {
  const v = headers[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map((x) => x.toLowerCase()) : [String(v).toLowerCase()];
}

/** Path match as Kong orders a route's paths: regexes first, then the longest prefix. */
export function matchPaths(route: CompiledRoute, path: string): PathHit | null {
  const paths = route.paths;
  if (paths === null) return { matched: "", source: "", captures: null };
  let best: string | null = null;
  for (const p of paths) {
    if (p.regex) {
      const m = p.regex.exec(path);
      if (m) return { matched: m[0], source: p.source, captures: capturesOf(m) };
    } else if (
      p.prefix !== null &&
      path.startsWith(p.prefix) &&
      (best === null || p.prefix.length > best.length)
    ) {
      best = p.prefix;
    }
  }
  return best === null ? null : { matched: best, source: best, captures: null };
}

function capturesOf(m: RegExpExecArray): Record<string, string> | null {
  if (m.length <= 1 && !m.groups) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < m.length; i++) {
    const v = m[i];
    if (v !== undefined) out[String(i)] = v;
  }
  for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined) out[k] = v;
  return Object.keys(out).length > 1 ? out : null;
}

function anyHost(hosts: readonly HostMatcher[], host: string, port: number | null): boolean {
  for (const h of hosts) if (hostMatches(h, host, port)) return true;
  return false;
}

function headersMatch(route: CompiledRoute, headers: IncomingHttpHeaders): boolean {
  for (const h of route.headers!) {
    const values = headerValues(headers, h.name);
    if (values.length === 0) return false;
    let ok = false;
    for (const want of h.values) {
      if ("exact" in want ? values.includes(want.exact) : values.some((v) => want.regex.test(v))) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

/** Full match of `route` against `req`; the path hit when it matches, else null. */
export function matchRoute(route: CompiledRoute, req: MatchInput): PathHit | null {
  if (route.methods !== null && !route.methods.has(req.method)) return null;
  if (route.hosts !== null && !anyHost(route.hosts, req.host, req.port)) return null;
  if (route.headers !== null && !headersMatch(route, req.headers)) return null;
  return matchPaths(route, req.path);
}

export function buildMatch(route: CompiledRoute, req: MatchInput, hit: PathHit): RouteMatch {
  const r = route.route;
  const hasPaths = route.paths !== null;
  const matchedText = hasPaths ? hit.matched : null;
  const upstream = upstreamPathFor(
    req.path,
    matchedText,
    r.strip_path,
    route.service?.path ?? null,
    r.path_handling,
  );
  return {
    route: r,
    service: route.service,
    upstreamPath: escapePath(upstream),
    matchedPath: hasPaths ? hit.source : null,
    uriCaptures: hit.captures,
    strippedPrefix: r.strip_path && matchedText ? matchedText : null,
  };
}

/**
 * A route compiled for matching with Kong 3.x `traditional_compatible` semantics
 * (kong/router/compat.lua + atc.lua):
 *  - every field the route sets must match: methods (any of), hosts (any of; `*.x`
 *    suffix and `x.*` prefix wildcards; `host:port` also needs the Host header's port),
 *    paths (any of; plain = string prefix, `~regex` = regex anchored at the start),
 *    headers (all names; any value each; values compared lowercased, `~*re` = regex);
 *    regexes are RE2 patterns matched in linear time (linear-regex.ts), as the ATC router's;
 *  - snis never restrict plain-http requests; protocols are checked by the proxy after
 *    routing (426/redirect as Kong), not here;
 *  - priority (Kong's 64-bit value, compared as a tuple): number of fields set, plain
 *    hosts only, header count, regex path present, regex_priority (regex routes only),
 *    longest plain path; ties go to the greater route id (the ATC router's order).
 */
import type { GatewayRoute, GatewayService } from "../config/types.js";
import { type LinearRegex, lazyLinearRegex } from "../linear-regex.js";

export interface HostMatcher {
  kind: "exact" | "suffix" | "prefix";
  /** lowercased; for suffix the leading "." is kept (".example.com"), for prefix the trailing "." */
  value: string;
  port: number | null;
}

export interface PathMatcher {
  /** The route path as configured ("/api" or "~/users/(?<id>\d+)"). */
  source: string;
  /** Plain prefix, or null for a regex. */
  prefix: string | null;
  /** Matched in linear time (linear-regex.ts). */
  regex: LinearRegex | null;
  /** Literal text every match must start with (index key for regexes). */
  literalPrefix: string;
}

export interface HeaderMatcher {
  name: string;
  values: Array<{ exact: string } | { regex: LinearRegex }>;
}

export interface CompiledRoute {
  route: GatewayRoute;
  service: GatewayService | null;
  /** Position in priority order (0 = highest). */
  rank: number;
  methods: ReadonlySet<string> | null;
  hosts: readonly HostMatcher[] | null;
  paths: readonly PathMatcher[] | null;
  headers: readonly HeaderMatcher[] | null;
}

export function splitHostPort(h: string): { host: string; port: number | null } {
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    const port = end !== -1 && h[end + 1] === ":" ? Number(h.slice(end + 2)) : Number.NaN;
    return Number.isInteger(port) && end !== -1
      ? { host: h.slice(0, end + 1), port }
      : { host: h, port: null };
  }
  const i = h.indexOf(":");
  if (i === -1) return { host: h, port: null };
  const port = Number(h.slice(i + 1));
  if (h.slice(i + 1) === "" || !Number.isInteger(port)) return { host: h, port: null };
  return { host: h.slice(0, i), port };
}

function compileHost(raw: string): HostMatcher {
  const { host, port } = splitHostPort(raw.toLowerCase());
  if (host.startsWith("*")) return { kind: "suffix", value: host.slice(1), port };
  if (host.endsWith("*")) return { kind: "prefix", value: host.slice(0, -1), port };
  return { kind: "exact", value: host, port };
}

const REGEX_META = new Set([..."\\.^$|?*+()[]{}"]);

/**
 * The literal text at the start of an anchored regex: every match begins with it.
 * Stops at the first metacharacter; a quantifier makes the previous char optional; a
 * top-level alternation or an escape gives up (returns what is certain).
 */
export function regexLiteralPrefix(source: string): string {
  if (hasTopLevelAlternation(source)) return "";
  let out = "";
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (!REGEX_META.has(c)) {
      out += c;
      continue;
    }
    if (c === "?" || c === "*" || c === "{") out = out.slice(0, -1);
    break;
  }
  return out;
}

function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) return true;
  }
  return false;
}

function compilePath(source: string): PathMatcher {
  if (!source.startsWith("~")) return { source, prefix: source, regex: null, literalPrefix: source };
  const body = source.slice(1);
  // validated by the loader; compiled on first use (an uncompilable one never matches)
  return {
    source,
    prefix: null,
    regex: lazyLinearRegex(`^(?:${body})`),
    literalPrefix: regexLiteralPrefix(body),
  };
}

function compileHeaders(headers: Record<string, string[]>): HeaderMatcher[] {
  return Object.entries(headers).map(([name, values]) => ({
    name: name.toLowerCase(),
    values: values.map((v) => {
      if (v.startsWith("~*")) return { regex: lazyLinearRegex(v.slice(2).toLowerCase()) };
      return { exact: v.toLowerCase() };
    }),
  }));
}

const MAX_HEADER_COUNT = 255;

/** Kong's priority as a tuple, most significant first. */
export function routePriority(route: GatewayRoute): number[] {
  const has = (v: unknown[] | Record<string, unknown> | null) =>
    v !== null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
  let weight = 0;
  if (has(route.methods)) weight++;
  if (has(route.hosts)) weight++;
  if (has(route.paths)) weight++;
  const headerCount = route.headers ? Math.min(Object.keys(route.headers).length, MAX_HEADER_COUNT) : 0;
  if (headerCount > 0) weight++;
  if (has(route.snis)) weight++;
  const plainHostOnly =
    route.hosts !== null && route.hosts.length > 0 && !route.hosts.some((h) => h.includes("*"));
  let regexUrl = false;
  let maxLength = 0;
  for (const p of route.paths ?? []) {
    if (p.startsWith("~")) regexUrl = true;
    else maxLength = Math.max(maxLength, p.length);
  }
  return [
    weight,
    plainHostOnly ? 1 : 0,
    headerCount,
    regexUrl ? 1 : 0,
    regexUrl ? route.regex_priority : 0,
    Math.min(maxLength, 0x7ffff),
  ];
}

export function comparePriority(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (b[i] ?? 0) - (a[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Compile and order all routes: highest priority first, ties by descending id. */
export function compileRoutes(
  routes: readonly GatewayRoute[],
  services: readonly GatewayService[],
): CompiledRoute[] {
  const byId = new Map(services.map((s) => [s.id, s]));
  // method sets repeat across routes: one Set per distinct list
  const methodSets = new Map<string, ReadonlySet<string>>();
  const methodsOf = (methods: string[] | null): ReadonlySet<string> | null => {
    if (methods === null || methods.length === 0) return null;
    const key = methods.join(",");
    let set = methodSets.get(key);
    if (set === undefined) {
      set = new Set(methods.map((m) => m.toUpperCase()));
      methodSets.set(key, set);
    }
    return set;
  };
  // the priority tuples are needed for the sort only: not kept on the compiled routes
  const ordered = routes.map((route) => {
    const compiled: CompiledRoute = {
      route,
      service: route.service ? (byId.get(route.service) ?? null) : null,
      rank: 0,
      methods: methodsOf(route.methods),
      hosts: route.hosts && route.hosts.length > 0 ? route.hosts.map(compileHost) : null,
      paths: route.paths && route.paths.length > 0 ? route.paths.map(compilePath) : null,
      headers: route.headers && Object.keys(route.headers).length > 0 ? compileHeaders(route.headers) : null,
    };
    return { priority: routePriority(route), compiled };
  });
  ordered.sort(
    (a, b) => comparePriority(a.priority, b.priority) || (a.compiled.route.id < b.compiled.route.id ? 1 : -1),
  );
  return ordered.map(({ compiled }, i) => {
    compiled.rank = i;
    return compiled;
  });
}

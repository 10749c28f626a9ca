/**
 * Kong's origin matching for the cors plugin (kong/plugins/cors/handler.lua
 * configure_origin): no list or `*` allows all; a single entry made only of characters that
 * can appear in a plain origin is the answer whatever the request's Origin; otherwise a
 * provided Origin is looked up: `*` anywhere allows all, a plain entry must equal the
 * normalized origin (scheme, host, port; default ports dropped: `example.com` only matches
 * an Origin of `example.com`), a regular expression (anchored at both ends) is matched
 * against the origin's host when it has no `:`, else against the whole normalized origin.
 * The answer is the normalized origin. The Origin header is the client's: regexes are
 * matched in linear time (linear-regex.ts; RE2 syntax, where Kong's cors plugin uses PCRE).
 */
import { compileLinearRegex, type LinearRegex } from "../../linear-regex.js";

const MAYBE_REGEX = /[^A-Za-z0-9.:/-]/;

export function looksLikeRegex(entry: string): boolean {
  return MAYBE_REGEX.test(entry);
}

/** Compile a regex entry anchored at both ends; null when it is not a valid expression. */
export function compileOriginRegex(entry: string): LinearRegex | null {
  let source = entry;
  if (source.startsWith("^")) source = source.slice(1);
  if (source.endsWith("$") && !source.endsWith("\\$")) source = source.slice(0, -1);
  try {
    return compileLinearRegex(`^(?:${source})$`, { ignoreCase: true });
  } catch {
    return null;
  }
}

/** `scheme://host[:port]` and the host, lowercased, default ports dropped; the input itself when it is no URL. */
export function normalizeOrigin(origin: string): { domain: string; host: string } {
  try {
    const url = new URL(origin);
    if (url.host !== "")
      return { domain: `${url.protocol}//${url.host}`.toLowerCase(), host: url.hostname.toLowerCase() };
  } catch {
    // no URL: compared as written
  }
  const lower = origin.toLowerCase();
  return { domain: lower, host: lower };
}

/** What Access-Control-Allow-Origin gets for a request. */
export interface OriginAnswer {
  /** `*`: every origin allowed (credentials then echo the request's Origin) */
  allowAll: boolean;
  /** the value when not all are allowed; null: the header is removed (no match) */
  allowOrigin: string | null;
  /** Origin is added to Vary (every list but the allow-all ones) */
  vary: boolean;
}

export interface OriginMatcher {
  /** The answer for the request's Origin (undefined or "" when it sent none). */
  answer(origin: string | undefined): OriginAnswer;
}

const ALLOW_ALL: OriginAnswer = { allowAll: true, allowOrigin: "*", vary: false };

type Entry = { kind: "exact"; domain: string } | { kind: "regex"; re: LinearRegex; byHost: boolean };

export function compileOrigins(origins: readonly string[] | null): OriginMatcher {
  if (!origins || origins.length === 0 || (origins.length === 1 && origins[0] === "*")) {
    return { answer: () => ALLOW_ALL };
  }
  if (origins.length === 1 && !looksLikeRegex(origins[0]!)) {
    const fixed: OriginAnswer = { allowAll: false, allowOrigin: origins[0]!, vary: true };
    return { answer: () => fixed };
  }
  const none: OriginAnswer = { allowAll: false, allowOrigin: null, vary: true };
  if (origins.includes("*")) {
    const all: OriginAnswer = { allowAll: true, allowOrigin: "*", vary: true };
    return { answer: (origin) => (origin ? all : none) };
  }
  const entries: Entry[] = [];
  for (const entry of origins) {
    if (!looksLikeRegex(entry)) {
      entries.push({ kind: "exact", domain: normalizeOrigin(entry).domain });
      continue;
    }
    const re = compileOriginRegex(entry);
    if (re) entries.push({ kind: "regex", re, byHost: !entry.includes(":") });
  }
  return {
    answer(origin) {
      if (!origin) return none;
      const { domain, host } = normalizeOrigin(origin);
      const found = entries.some((e) =>
        e.kind === "exact" ? e.domain === domain : e.re.test(e.byHost ? host : domain),
      );
      return found ? { allowAll: false, allowOrigin: domain, vary: true } : none;
    },
  };
}

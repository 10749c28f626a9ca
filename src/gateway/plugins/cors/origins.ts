/**
 * Kong's origin matching for the cors plugin: an entry made only of characters that
 * can appear in a plain origin is compared exactly (after normalizing scheme/host case
 * and default ports; an entry without a scheme matches that host over any scheme);
 * anything else is a regular expression matched against the whole origin (Kong anchors
 * user regexes). The Origin header is the client's: regexes are matched in linear time
 * (linear-regex.ts; RE2 syntax, where Kong's cors plugin uses PCRE).
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

/** `scheme://host[:port]`, lowercased, default ports dropped; the input lowercased when it is no URL. */
export function normalizeOrigin(origin: string): string {
  try {
    const url = new URL(origin);
    if (url.host === "") return origin.toLowerCase();
    return `${url.protocol}//${url.host}`.toLowerCase();
  } catch {
    return origin.toLowerCase();
  }
}

export interface OriginMatcher {
  /** True when every origin is allowed (`*` or no list). */
  allowAll: boolean;
  matches(origin: string): boolean;
}

export function compileOrigins(origins: readonly string[] | null): OriginMatcher {
  if (!origins || origins.length === 0 || (origins.length === 1 && origins[0] === "*")) {
    return { allowAll: true, matches: () => true };
  }
  const exact = new Set<string>();
  const patterns: LinearRegex[] = [];
  for (const entry of origins) {
    if (looksLikeRegex(entry)) {
      const re = compileOriginRegex(entry);
      if (re) patterns.push(re);
    } else {
      exact.add(normalizeOrigin(entry));
    }
  }
  return {
    allowAll: false,
    matches(origin) {
      const normalized = normalizeOrigin(origin);
      if (exact.has(normalized)) return true;
      const schemeless = normalized.replace(/^[a-z][a-z0-9+.-]*:\/\//, "");
      if (schemeless !== normalized && exact.has(schemeless)) return true;
      return patterns.some((re) => re.test(origin) || re.test(normalized));
    },
  };
}

/**
 * The HTTP header parsing proxy-cache needs, with Kong's semantics (kong.tools.http and
 * kong.tools.mime_type): Cache-Control directives, a resource's freshness lifetime,
 * and media types compared by type, subtype and parameters.
 */

/** Directive → numeric value, string value, or true (no value). Names lowercased. */
export type Directives = Record<string, number | string | true>;

export function parseDirectives(header: string | string[] | undefined): Directives {
  const out: Directives = {};
  if (header === undefined) return out;
  const text = Array.isArray(header) ? header.join(", ") : header;
  for (const part of text.split(",")) {
    const m = /^\s*([^=]+)(?:=(.+))?/.exec(part);
    if (!m) continue;
    const name = m[1]!.trim().toLowerCase();
    if (name === "") continue;
    const raw = m[2]?.trim().replace(/^"(.*)"$/, "$1");
    if (raw === undefined) out[name] = true;
    else out[name] = /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : raw;
  }
  return out;
}

function numeric(v: number | string | true | undefined): number | undefined {
  return typeof v === "number" ? v : undefined;
}

/** Seconds a response stays fresh: s-maxage, else max-age, else Expires − now; never negative. */
export function resourceTtl(
  cc: Directives,
  expires: string | string[] | undefined,
  nowSeconds: number,
): number {
  let maxAge = numeric(cc["s-maxage"]) ?? numeric(cc["max-age"]);
  if (maxAge === undefined && expires !== undefined) {
    const last = Array.isArray(expires) ? expires[expires.length - 1] : expires;
    const at = last === undefined ? Number.NaN : Date.parse(last);
    if (!Number.isNaN(at)) maxAge = Math.floor(at / 1000) - nowSeconds;
  }
  return maxAge === undefined ? 0 : Math.max(maxAge, 0);
}

export function directiveNumber(cc: Directives, name: string): number | undefined {
  return numeric(cc[name]);
}

export interface MediaType {
  type: string;
  subtype: string;
  params: Map<string, string>;
}

/** `type/subtype; k=v; …` → parts, or null when malformed (an empty parameter, no slash…). */
export function parseMediaType(text: string): MediaType | null {
  const [essence, ...paramParts] = text.split(";");
  const m = /^\s*([^/\s]+)\/([^/\s]+)\s*$/.exec(essence ?? "");
  if (!m) return null;
  const params = new Map<string, string>();
  for (const part of paramParts) {
    const eq = part.indexOf("=");
    if (eq <= 0) return null;
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1");
    if (key === "" || value === "") return null;
    params.set(key, value);
  }
  return { type: m[1]!.toLowerCase(), subtype: m[2]!.toLowerCase(), params };
}

/** Kong's content_type match: type and subtype equal (or `*`), same parameters with the same values. */
export function mediaTypeMatches(actual: MediaType, expected: MediaType): boolean {
  if (expected.type !== "*" && expected.type !== actual.type) return false;
  if (expected.subtype !== "*" && expected.subtype !== actual.subtype) return false;
  if (expected.params.size !== actual.params.size) return false;
  for (const [k, v] of expected.params) {
    if (actual.params.get(k) !== v) return false;
  }
  return true;
}

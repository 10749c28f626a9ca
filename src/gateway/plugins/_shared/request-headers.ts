/** Reading request headers the way Kong's kong.request.get_header does. */

/** The first value of a header from a lowercased header record. */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The record keys a configured header name may be found under: lowercased, and (as Kong
 * normalizes `_` to `-` in header lookups) with underscores turned into dashes.
 */
export function headerKeys(name: string): readonly string[] {
  let keys = keysByName.get(name);
  if (keys === undefined) {
    const lower = name.toLowerCase();
    const dashed = lower.replace(/_/g, "-");
    keys = Object.freeze(dashed === lower ? [lower] : [lower, dashed]);
    // configured names are few; the bound only guards against unbounded growth
    if (keysByName.size < 1024) keysByName.set(name, keys);
  }
  return keys;
}

const keysByName = new Map<string, readonly string[]>();

/** The value of the configured header `name`, whichever of its keys it arrived under. */
export function headerValue<V>(
  headers: Readonly<Record<string, V | undefined>>,
  name: string,
): V | undefined {
  for (const key of headerKeys(name)) {
    const v = headers[key];
    if (v !== undefined) return v;
  }
  return undefined;
}

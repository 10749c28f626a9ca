/**
 * Kong 3.x proxy-cache keys: sha256 hex of
 * `<prefix>|<method>|<uri>|<query part>|<headers part>`, where the prefix is
 * `<consumer id>:<route id>` (or the route id, or "default"), the query part lists the
 * request's arguments sorted by name (or only `vary_query_params`) as `k=v` joined by
 * ":" (repeated values sorted and joined by ","), and the headers part does the same
 * for `vary_headers` (empty when none are configured).
 */
import { createHash } from "node:crypto";

export function prefixOf(consumerId: string | null, routeId: string | null): string {
  if (consumerId && routeId) return `${consumerId}:${routeId}`;
  if (routeId) return routeId;
  return "default";
}

type Values = Map<string, string[]>;

function keyFrom(values: Values, fields: readonly string[]): string {
  const parts: string[] = [];
  for (const field of fields) {
    const v = values.get(field);
    if (v === undefined || v.length === 0) continue;
    if (v.length > 1) parts.push(`${field}=${[...v].sort().join(",")}`);
    else if (v[0] === "") parts.push(field);
    else parts.push(`${field}=${v[0]}`);
  }
  return parts.join(":");
}

export function queryValues(query: URLSearchParams): Values {
  const out: Values = new Map();
  for (const [k, v] of query) {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

export function paramsKey(
  query: URLSearchParams,
  varyQueryParams: readonly string[] | null | undefined,
): string {
  const values = queryValues(query);
  if (!varyQueryParams || varyQueryParams.length === 0) return keyFrom(values, [...values.keys()].sort());
  return keyFrom(values, varyQueryParams);
}

export function headersKey(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  varyHeaders: readonly string[] | null | undefined,
): string {
  if (!varyHeaders || varyHeaders.length === 0) return "";
  const values: Values = new Map();
  for (const name of varyHeaders) {
    const v = headers[name.toLowerCase()];
    if (v !== undefined) values.set(name, Array.isArray(v) ? v : [v]);
  }
  return keyFrom(values, varyHeaders);
}

export function buildCacheKey(parts: {
  consumerId: string | null;
  routeId: string | null;
  method: string;
  uri: string;
  params: string;
  headers: string;
}): string {
  const text = `${prefixOf(parts.consumerId, parts.routeId)}|${parts.method}|${parts.uri}|${parts.params}|${parts.headers}`;
  return createHash("sha256").update(text).digest("hex");
}

/**
 * THE list of hop-by-hop header fields (RFC 9110 §7.6.1, plus the de-facto ones every
 * proxy drops: Keep-Alive, Proxy-Connection, and `Proxy` for httpoxy). These never cross
 * the gateway, in either direction, and neither does any field the Connection header names.
 * Kong keeps `TE: trailers` on requests and `Upgrade`/`Connection` when it tunnels an
 * upgrade; the caller decides those two exceptions (see prepareUpstreamRequest).
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Lowercased field names listed in a Connection header value (`close`/`keep-alive`/`upgrade` skipped). */
export function connectionListedFields(connection: string | string[] | undefined): string[] {
  if (connection === undefined) return [];
  const raw = Array.isArray(connection) ? connection.join(",") : connection;
  const out: string[] = [];
  for (const part of raw.split(",")) {
    const name = part.trim().toLowerCase();
    if (name === "" || name === "close" || name === "keep-alive" || name === "upgrade") continue;
    out.push(name);
  }
  return out;
}

/**
 * Remove hop-by-hop fields from a lowercased header record, in place: the fixed list plus
 * every field the Connection header names. Returns the record for chaining.
 */
export function stripHopByHop<T extends Record<string, unknown>>(headers: T): T {
  const connection = headers.connection as string | string[] | undefined;
  if (connection !== undefined) {
    for (const name of connectionListedFields(connection)) delete headers[name];
  }
  for (const name of HOP_BY_HOP_HEADERS) {
    if (headers[name] !== undefined) delete headers[name];
  }
  return headers;
}

/**
 * A copy of a lowercased header record without the hop-by-hop fields (the fixed list plus
 * every field the Connection header names) and without undefined values.
 */
export function withoutHopByHop(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const listed = headers.connection === undefined ? null : connectionListedFields(headers.connection);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP_HEADERS.has(name) || listed?.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

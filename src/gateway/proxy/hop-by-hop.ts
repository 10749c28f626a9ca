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

/** Lengths of the hop-by-hop names and of `via`: a cheap first test on raw header names. */
const HOP_BY_HOP_LENGTHS: ReadonlySet<number> = new Set([...HOP_BY_HOP_HEADERS, "via"].map((n) => n.length));

/** Lowercased field names listed in a Connection header value (`close`/`keep-alive`/`upgrade` skipped). */
export function connectionListedFields(connection: string | string[] | undefined): string[] {
  if (connection === undefined) return [];
  const raw = Array.isArray(connection) ? connection.join(",") : connection;
  if (raw.length <= 10) {
    // the common values, without splitting
    const v = raw.toLowerCase();
    if (v === "keep-alive" || v === "close" || v === "upgrade") return [];
  }
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
 * every field the Connection header names), without undefined values and without the
 * fields in `drop` (left out while copying: deleting afterwards would turn the copy into a
 * slow dictionary-mode object on every request).
 */
export function withoutHopByHop(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  drop?: ReadonlySet<string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const listed = headers.connection === undefined ? null : connectionListedFields(headers.connection);
  const check = listed !== null && listed.length > 0;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP_HEADERS.has(name) || (check && listed.includes(name))) continue;
    if (drop?.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Raw upstream response headers (undici's `[name, value, …]` buffers) as a flat
 * `[name, value, …]` string list without hop-by-hop fields, ready for `res.writeHead`;
 * `via` is taken out (the caller appends to it). Latin-1 both ways keeps bytes as received.
 */
export function rawHeadersWithoutHopByHop(raw: readonly (Buffer | string)[]): {
  list: string[];
  via: string | undefined;
} {
  const list: string[] = [];
  let listed: string[] | null = null;
  let via: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i]!);
    const value = latin1(raw[i + 1]!);
    // only names as long as a hop-by-hop one (or via) can be one: no lowercasing of the rest
    if (HOP_BY_HOP_LENGTHS.has(name.length)) {
      const lower = name.toLowerCase();
      if (lower === "connection") {
        const fields = connectionListedFields(value);
        if (fields.length > 0) listed = listed === null ? fields : listed.concat(fields);
        continue;
      }
      if (HOP_BY_HOP_HEADERS.has(lower)) continue;
      if (lower === "via") {
        via = via === undefined ? value : `${via}, ${value}`;
        continue;
      }
    }
    list.push(name, value);
  }
  // fields the Connection header names (rare): dropped in a second pass
  if (listed !== null) {
    const names = listed;
    const kept: string[] = [];
    for (let i = 0; i < list.length; i += 2) {
      if (!names.includes(list[i]!.toLowerCase())) kept.push(list[i]!, list[i + 1]!);
    }
    return { list: kept, via };
  }
  return { list, via };
}

function latin1(v: Buffer | string): string {
  return typeof v === "string" ? v : v.toString("latin1");
}

import type { AccessLogEntry } from "../plugins/types.js";

/**
 * The access log: one JSON line per request on stdout (the feed the ELK addon ingests),
 * built from the same AccessLogEntry the log-phase plugins receive (Kong's serializer
 * shape). Credentials never reach it: credential headers, cookies and credential query
 * arguments are replaced by "REDACTED".
 *
 * Line fields: time (ISO), request_id, method, path, query (redacted), status,
 * request_size, response_size, latencies {gateway, upstream, total} (ms), route, service,
 * consumer (name or id), client_ip, upstream (ip:port of the last try), user_agent.
 */

export const REDACTED = "REDACTED";

const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "apikey",
  "api-key",
  "x-api-key",
]);

const SECRET_QUERY_ARGS = new Set([
  "apikey",
  "api_key",
  "api-key",
  "key",
  "jwt",
  "token",
  "access_token",
  "id_token",
  "refresh_token",
  "password",
  "secret",
  "client_secret",
]);

export function redactHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    out[name] = SECRET_HEADERS.has(name) ? REDACTED : v;
  }
  return out;
}

/** Query string → record (Kong's querystring), credential arguments redacted. */
export function redactedQuery(rawQuery: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (rawQuery === "") return out;
  for (const [k, v] of new URLSearchParams(rawQuery)) {
    const value = SECRET_QUERY_ARGS.has(k.toLowerCase()) ? REDACTED : v;
    const prev = out[k];
    if (prev === undefined) out[k] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[k] = [prev, value];
  }
  return out;
}

export function redactedQueryString(rawQuery: string): string {
  if (rawQuery === "") return "";
  const params = new URLSearchParams(rawQuery);
  let touched = false;
  const out = new URLSearchParams();
  for (const [k, v] of params) {
    const secret = SECRET_QUERY_ARGS.has(k.toLowerCase());
    if (secret) touched = true;
    out.append(k, secret ? REDACTED : v);
  }
  return touched ? out.toString() : rawQuery;
}

/** The stdout line for one request. */
export function accessLogLine(
  entry: AccessLogEntry,
  rawQuery: string,
  userAgent: string | undefined,
): string {
  const last = entry.tries?.[entry.tries.length - 1];
  const qs = redactedQueryString(rawQuery);
  return JSON.stringify({
    time: new Date(entry.started_at).toISOString(),
    request_id: entry.request.id,
    method: entry.request.method,
    path: entry.request.uri.split("?")[0],
    query: qs === "" ? undefined : qs,
    status: entry.response.status,
    request_size: entry.request.size,
    response_size: entry.response.size,
    latencies: {
      gateway: entry.latencies.gateway,
      upstream: entry.latencies.upstream,
      total: entry.latencies.request,
    },
    route: entry.route?.name ?? entry.route?.id ?? null,
    service: entry.service?.name ?? entry.service?.id ?? null,
    consumer: entry.consumer?.username ?? entry.consumer?.id ?? null,
    client_ip: entry.client_ip,
    upstream: last === undefined ? null : `${last.ip}:${last.port}`,
    user_agent: userAgent,
  });
}

/**
 * Writes log lines in batches (one write per event-loop turn) so logging costs the proxy
 * one syscall per burst, not per request.
 */
export class AccessLogWriter {
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  write(line: string): void {
    this.pending.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const chunk = `${this.pending.join("\n")}\n`;
    this.pending = [];
    this.stream.write(chunk);
  }
}

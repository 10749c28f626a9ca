/**
 * The access log: one JSON line per request on stdout (the feed the ELK addon ingests),
 * and the redaction shared with the log-phase plugins' AccessLogEntry (Kong's serializer
 * shape). Credentials never reach either: credential headers, cookies and credential query
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
  for (const [k, v] of new URLSearchParams(rawQuery))
    addValue(out, k, SECRET_QUERY_ARGS.has(k.toLowerCase()) ? REDACTED : v);
  return out;
}

/** Add a value to a multi-valued record: a second value for a name turns it into an array. */
/** A flat `[name, value, …]` header list as a lowercased record (repeated fields become arrays). */
export function headerRecord(list: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < list.length; i += 2) addValue(out, list[i]!.toLowerCase(), list[i + 1]!);
  return out;
}

export function addValue(out: Record<string, string | string[]>, name: string, value: string): void {
  const prev = out[name];
  if (prev === undefined) out[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else out[name] = [prev, value];
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

/** What one stdout access-log line says (cheap to gather: no header copies). */
export interface AccessLogFields {
  startedAtMs: number;
  requestId: string;
  method: string;
  path: string;
  rawQuery: string;
  status: number;
  requestSize: number;
  responseSize: number;
  gatewayMs: number;
  upstreamMs: number;
  totalMs: number;
  route: string | null;
  service: string | null;
  consumer: string | null;
  clientIp: string;
  upstream: string | null;
  userAgent: string | undefined;
}

/** The stdout line for one request. */
export function accessLogLine(f: AccessLogFields): string {
  const qs = redactedQueryString(f.rawQuery);
  return JSON.stringify({
    time: new Date(f.startedAtMs).toISOString(),
    request_id: f.requestId,
    method: f.method,
    path: f.path,
    query: qs === "" ? undefined : qs,
    status: f.status,
    request_size: f.requestSize,
    response_size: f.responseSize,
    latencies: { gateway: f.gatewayMs, upstream: f.upstreamMs, total: f.totalMs },
    route: f.route,
    service: f.service,
    consumer: f.consumer,
    client_ip: f.clientIp,
    upstream: f.upstream,
    user_agent: f.userAgent,
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

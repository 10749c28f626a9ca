/**
 * The access log: one JSON line per request on stdout (the feed the ELK addon ingests).
 * Credentials never reach it: the query comes redacted (log-redaction.ts, the same
 * redaction as the log-phase plugins' AccessLogEntry).
 *
 * Line fields: time (ISO), request_id, method, path, query (redacted), status,
 * request_size, response_size, latencies {gateway, upstream, total} (ms), route, service,
 * consumer (name or id), client_ip, upstream (ip:port of the last try), user_agent, trace_id (when a
 * tracing plugin traced the request: the OpenTelemetry trace id, so log lines and traces join).
 */

/** A flat `[name, value, …]` header list as a lowercased record (repeated fields become arrays). */
export function headerRecord(list: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < list.length; i += 2) addValue(out, list[i]!.toLowerCase(), list[i + 1]!);
  return out;
}

/** Add a value to a multi-valued record: a second value for a name turns it into an array. */
export function addValue(out: Record<string, string | string[]>, name: string, value: string): void {
  const prev = out[name];
  if (prev === undefined) out[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else out[name] = [prev, value];
}

/** What one stdout access-log line says (cheap to gather: no header copies). */
export interface AccessLogFields {
  startedAtMs: number;
  requestId: string;
  method: string;
  path: string;
  /** the query string, credentials already redacted ("" for none) */
  query: string;
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
  /** the request's trace id (32 hex digits) when a tracing plugin traced it */
  traceId?: string | null;
}

/**
 * Told each finished request's access-log fields, and the ids of its route and consumer (the
 * fields name them by name when they have one): the gateway manager's overview and live log.
 */
export type AccessObserver = (
  fields: AccessLogFields,
  routeId: string | null,
  consumerId: string | null,
) => void;

/** The stdout line for one request. */
export function accessLogLine(f: AccessLogFields): string {
  return JSON.stringify({
    time: new Date(f.startedAtMs).toISOString(),
    request_id: f.requestId,
    method: f.method,
    path: f.path,
    query: f.query === "" ? undefined : f.query,
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
    trace_id: f.traceId ?? undefined,
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

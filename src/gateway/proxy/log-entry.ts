/**
 * The log-phase entry (AccessLogEntry, Kong's serializer shape), built lazily: the costly
 * parts — request and response header copies, the parsed query string, the URI and full
 * URL — are computed the first time a plugin reads them (prometheus reads only status, sizes
 * and latencies; http-log and file-log read everything once), each through the exchange's
 * LogRedaction (log-redaction.ts), as is the access-log line's query. The views serialize
 * with JSON.stringify like plain objects (toJSON).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { GatewayConsumer, GatewayRoute, GatewayService } from "../config/types.js";
import type { AccessLogEntry } from "../plugins/types.js";
import { type AccessLogFields, accessLogLine, headerRecord } from "./access-log.js";
import type { LogRedaction } from "./log-redaction.js";
import type { RequestTarget } from "./request-target.js";

type Headers = Record<string, string | string[]>;

/** Size of the request as received: request line, header lines and the declared body length. */
export function requestSize(req: IncomingMessage): number {
  const cl = Number(req.headers["content-length"] ?? 0);
  let head = (req.url?.length ?? 1) + (req.method?.length ?? 3) + 12;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i++) head += raw[i]!.length + 2;
  return (Number.isFinite(cl) ? cl : 0) + head;
}

/** `entry.request`: id and method at hand; uri, url, size, querystring and headers on first read. */
export class LogRequestView {
  private cachedUri: string | null = null;
  private cachedSize = -1;
  private cachedQuery: Headers | null = null;
  private cachedHeaders: Headers | null = null;

  constructor(
    private readonly req: IncomingMessage,
    readonly id: string,
    readonly method: string,
    private readonly protocol: string,
    private readonly rawQuery: string,
    private readonly redaction: LogRedaction,
  ) {}

  /** the request target as received, its query redacted */
  get uri(): string {
    if (this.cachedUri === null) this.cachedUri = this.redaction.target(this.req.url ?? "/");
    return this.cachedUri;
  }

  get url(): string {
    return `${this.protocol}://${this.req.headers.host ?? ""}${this.uri}`;
  }

  get size(): number {
    if (this.cachedSize < 0) this.cachedSize = requestSize(this.req);
    return this.cachedSize;
  }

  get querystring(): Headers {
    if (this.cachedQuery === null) this.cachedQuery = this.redaction.queryRecord(this.rawQuery);
    return this.cachedQuery;
  }

  get headers(): Headers {
    if (this.cachedHeaders === null) this.cachedHeaders = this.redaction.headers(this.req.headers);
    return this.cachedHeaders;
  }

  toJSON(): AccessLogEntry["request"] {
    return {
      id: this.id,
      method: this.method,
      uri: this.uri,
      url: this.url,
      size: this.size,
      querystring: this.querystring,
      headers: this.headers,
    };
  }
}

/** `entry.response`: status and size at hand; the headers sent on first read. */
export class LogResponseView {
  private cachedHeaders: Headers | null = null;

  /**
   * `sent`: the fields as handed to `writeHead` (a flat `[name, value, …]` list or a
   * record); null when none were (the response's own header store is read then).
   */
  constructor(
    private readonly res: ServerResponse,
    readonly status: number,
    readonly size: number,
    private readonly sent: Readonly<Headers> | readonly string[] | null,
    private readonly redaction: LogRedaction,
  ) {}

  get headers(): Headers {
    if (this.cachedHeaders === null) {
      const sent = this.sent;
      let fields: Record<string, string | string[] | undefined>;
      if (sent === null) fields = this.res.getHeaders() as Record<string, string | string[] | undefined>;
      else fields = isFlatList(sent) ? headerRecord(sent) : sent;
      this.cachedHeaders = this.redaction.headers(fields);
    }
    return this.cachedHeaders;
  }

  toJSON(): AccessLogEntry["response"] {
    return { status: this.status, size: this.size, headers: this.headers };
  }
}

/** A finished exchange, as the log phase and the access log see it. Times are performance.now() marks. */
export interface ExchangeRecord {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly protocol: "http" | "https";
  readonly target: RequestTarget;
  readonly status: number;
  readonly responseBytes: number;
  /** the response header fields as sent (see LogResponseView) */
  readonly responseHeaders: Readonly<Headers> | readonly string[] | null;
  readonly clientIp: string;
  readonly route: GatewayRoute | null;
  readonly service: GatewayService | null;
  readonly consumer: GatewayConsumer | null;
  /** the credential an auth plugin authenticated with (null: none, or the anonymous consumer) */
  readonly credential: { id: string; consumer: string | null } | null;
  /** the path and query sent upstream, as sent */
  readonly upstreamUri: string;
  /** what the log fields hide: the credential names of the configuration the request ran on */
  readonly redaction: LogRedaction;
  /** the upstream addresses tried, in order ([]: a matched route answered without proxying; null: no route) */
  readonly tries: Array<{ ip: string; port: number }> | null;
  /** the trace id when a tracing plugin traced the request, else null */
  readonly traceId?: string | null;
  readonly tStart: number;
  /** 0 when the request never went upstream */
  readonly tUpstreamStart: number;
  /** 0 when no upstream response head arrived */
  readonly tUpstreamHeaders: number;
  readonly tEnd: number;
}

/** Whole milliseconds between two marks (never negative). */
export function elapsedMs(from: number, to: number): number {
  return Math.max(0, Math.round(to - from));
}

/** Total time, the gateway's share and the upstream's (until its response head), in ms. */
export function latencyBreakdown(r: ExchangeRecord): { total: number; gateway: number; upstream: number } {
  const proxied = r.tUpstreamHeaders > 0;
  const total = elapsedMs(r.tStart, r.tEnd);
  return {
    total,
    gateway: Math.max(0, total - (proxied ? elapsedMs(r.tUpstreamStart, r.tEnd) : 0)),
    upstream: proxied ? elapsedMs(r.tUpstreamStart, r.tUpstreamHeaders) : 0,
  };
}

/** The gateway's one-line JSON access log for the exchange. */
export function accessLogLineFor(r: ExchangeRecord): string {
  return accessLogLine(accessLogFieldsFor(r));
}

/** What the access log says about the exchange. */
export function accessLogFieldsFor(r: ExchangeRecord): AccessLogFields {
  const l = latencyBreakdown(r);
  const last = r.tries?.[r.tries.length - 1];
  return {
    startedAtMs: performance.timeOrigin + r.tStart,
    requestId: r.requestId,
    method: r.req.method ?? "GET",
    path: r.target.path,
    query: r.redaction.query(r.target.rawQuery),
    status: r.status,
    requestSize: requestSize(r.req),
    responseSize: r.responseBytes,
    gatewayMs: l.gateway,
    upstreamMs: l.upstream,
    totalMs: l.total,
    route: r.route === null ? null : (r.route.name ?? r.route.id),
    service: r.service === null ? null : (r.service.name ?? r.service.id),
    consumer: r.consumer === null ? null : (r.consumer.username ?? r.consumer.id),
    clientIp: r.clientIp,
    upstream:
      last === undefined
        ? null
        : last.ip.includes(":")
          ? `[${last.ip}]:${last.port}`
          : `${last.ip}:${last.port}`,
    userAgent: r.req.headers["user-agent"],
    traceId: r.traceId,
  };
}

/** The log-phase entry; its header copies, query and URL are built only if a plugin reads them. */
export function logEntryFor(r: ExchangeRecord): AccessLogEntry {
  const l = latencyBreakdown(r);
  const { route, service, consumer, credential } = r;
  const entry: AccessLogEntry = {
    request: new LogRequestView(
      r.req,
      r.requestId,
      r.req.method ?? "GET",
      r.protocol,
      r.target.rawQuery,
      r.redaction,
    ),
    response: new LogResponseView(r.res, r.status, r.responseBytes, r.responseHeaders, r.redaction),
    latencies: {
      request: l.total,
      kong: l.gateway,
      proxy: l.upstream,
      gateway: l.gateway,
      upstream: l.upstream,
    },
    route: route === null ? null : { id: route.id, name: route.name },
    service:
      service === null
        ? null
        : {
            id: service.id,
            name: service.name,
            host: service.host,
            port: service.port,
            protocol: service.protocol,
          },
    consumer: consumer === null ? null : { id: consumer.id, username: consumer.username },
    upstream_uri: r.redaction.target(r.upstreamUri),
    client_ip: r.clientIp,
    started_at: Math.round(performance.timeOrigin + r.tStart),
  };
  if (credential !== null)
    entry.authenticated_entity = {
      id: credential.id,
      consumer_id: credential.consumer ?? consumer?.id ?? null,
    };
  if (r.tries !== null) entry.tries = r.tries;
  return entry;
}

function isFlatList(v: Readonly<Headers> | readonly string[]): v is readonly string[] {
  return Array.isArray(v);
}

/**
 * The log-phase entry (AccessLogEntry, Kong's serializer shape), built lazily: the costly
 * parts — request and response header copies with credentials redacted, the parsed query
 * string, the full URL — are computed the first time a plugin reads them (prometheus reads
 * only status, sizes and latencies; http-log and file-log read everything once). The views
 * serialize with JSON.stringify like plain objects (toJSON).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccessLogEntry } from "../plugins/types.js";
import { redactedQuery, redactHeaders } from "./access-log.js";

type Headers = Record<string, string | string[]>;

/** Size of the request as received: request line, header lines and the declared body length. */
export function requestSize(req: IncomingMessage): number {
  const cl = Number(req.headers["content-length"] ?? 0);
  let head = (req.url?.length ?? 1) + (req.method?.length ?? 3) + 12;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i++) head += raw[i]!.length + 2;
  return (Number.isFinite(cl) ? cl : 0) + head;
}

/** `entry.request`: id, method and uri at hand; url, size, querystring and headers on first read. */
export class LogRequestView {
  readonly uri: string;
  private cachedSize = -1;
  private cachedQuery: Headers | null = null;
  private cachedHeaders: Headers | null = null;

  constructor(
    private readonly req: IncomingMessage,
    readonly id: string,
    readonly method: string,
    private readonly protocol: string,
    private readonly rawQuery: string,
  ) {
    this.uri = req.url ?? "/";
  }

  get url(): string {
    return `${this.protocol}://${this.req.headers.host ?? ""}${this.uri}`;
  }

  get size(): number {
    if (this.cachedSize < 0) this.cachedSize = requestSize(this.req);
    return this.cachedSize;
  }

  get querystring(): Headers {
    if (this.cachedQuery === null) this.cachedQuery = redactedQuery(this.rawQuery);
    return this.cachedQuery;
  }

  get headers(): Headers {
    if (this.cachedHeaders === null) this.cachedHeaders = redactHeaders(this.req.headers);
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

  constructor(
    private readonly res: ServerResponse,
    readonly status: number,
    readonly size: number,
  ) {}

  get headers(): Headers {
    if (this.cachedHeaders === null) {
      this.cachedHeaders = redactHeaders(
        this.res.getHeaders() as Record<string, string | string[] | undefined>,
      );
    }
    return this.cachedHeaders;
  }

  toJSON(): AccessLogEntry["response"] {
    return { status: this.status, size: this.size, headers: this.headers };
  }
}

import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { GatewayConsumer, GatewayRoute, GatewayService } from "../config/types.js";
import { BodyTooLargeError } from "../errors.js";
import type { ExitOptions, RequestContext, RequestTracer } from "../plugins/types.js";
import { renderErrorBody } from "./errors.js";
import type { PreparedUpstreamRequest } from "./upstream-request.js";

/** A response the gateway or a plugin produced instead of proxying. */
export interface ExitResponse {
  status: number;
  body: Buffer | null;
  headers: Record<string, string | string[]>;
}

const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

const CONNECTION_ID = Symbol("connectionId");
const CONNECTION_REQUESTS = Symbol("connectionRequests");
let connectionCounter = 0;
type CountedSocket = Socket & { [CONNECTION_ID]?: number; [CONNECTION_REQUESTS]?: number };

/** Count a request on its connection (nginx's $connection / $connection_requests). */
export function countRequest(socket: Socket): void {
  const s = socket as CountedSocket;
  if (s[CONNECTION_ID] === undefined) {
    connectionCounter++;
    s[CONNECTION_ID] = connectionCounter;
    s[CONNECTION_REQUESTS] = 1;
  } else s[CONNECTION_REQUESTS] = (s[CONNECTION_REQUESTS] ?? 0) + 1;
}

class DownstreamRequestView {
  private parsedQuery: URLSearchParams | null = null;
  private bodyPromise: Promise<Buffer> | null = null;
  /** the buffered client body once readBody ran */
  buffered: Buffer | null = null;

  constructor(
    private readonly req: IncomingMessage,
    readonly method: string,
    readonly path: string,
    readonly rawQuery: string,
    readonly host: string,
  ) {}

  get httpVersion(): string {
    const v = this.req.httpVersion;
    return v === "2" || v === "2.0" ? "2.0" : v === "1.0" ? "1.0" : "1.1";
  }

  get headers(): Readonly<Record<string, string | string[] | undefined>> {
    return this.req.headers;
  }

  get headersDistinct(): Readonly<Record<string, string[] | undefined>> {
    return this.req.headersDistinct;
  }

  get socket(): Socket {
    return this.req.socket;
  }

  get query(): URLSearchParams {
    if (this.parsedQuery === null) this.parsedQuery = new URLSearchParams(this.rawQuery);
    return this.parsedQuery;
  }

  get contentLength(): number | null {
    const cl = this.req.headers["content-length"];
    if (cl === undefined) return null;
    const n = Number(cl);
    return Number.isFinite(n) ? n : null;
  }

  readBody(limitBytes = 16 * 1024 * 1024): Promise<Buffer> {
    if (this.bodyPromise === null) {
      this.bodyPromise = new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const req = this.req;
        if (req.readableEnded || req.complete) {
          resolve(Buffer.alloc(0));
          return;
        }
        req.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > limitBytes) {
            req.removeAllListeners("data");
            req.pause();
            reject(new BodyTooLargeError(limitBytes));
            return;
          }
          chunks.push(chunk);
        });
        req.once("end", () => {
          this.buffered = Buffer.concat(chunks, size);
          resolve(this.buffered);
        });
        req.once("error", reject);
      });
    }
    return this.bodyPromise;
  }
}

/** The per-request context handed to plugins (Kong's ngx.ctx + kong.* request/response PDK). */
export class ProxyContext implements RequestContext {
  readonly request: DownstreamRequestView;
  consumer: GatewayConsumer | null = null;
  credential: { id: string; consumer: string | null; identifier?: string } | null = null;
  authenticatedGroups: string[] | null = null;
  readonly downstreamHeaders: Record<string, string | string[]> = {};
  exitResponse: ExitResponse | null = null;
  trace: RequestTracer | null = null;
  peer: { scheme: "http" | "https"; trusted: boolean } = { scheme: "http", trusted: false };
  private states: Map<string, unknown> | null = null;
  private sharedMap: Map<string, unknown> | null = null;

  constructor(
    req: IncomingMessage,
    readonly requestId: string,
    readonly startedAt: bigint,
    readonly clientIp: string,
    readonly protocol: "http" | "https",
    readonly route: GatewayRoute | null,
    readonly service: GatewayService | null,
    readonly uriCaptures: Record<string, string> | null,
    readonly upstream: PreparedUpstreamRequest,
    path: string,
    rawQuery: string,
    host: string,
  ) {
    this.request = new DownstreamRequestView(req, req.method ?? "GET", path, rawQuery, host);
  }

  get connection(): { localAddress: string; localPort: number; id: number; requests: number } {
    const s = this.request.socket as CountedSocket;
    return {
      localAddress: s.localAddress ?? "",
      localPort: s.localPort ?? 0,
      id: s[CONNECTION_ID] ?? 0,
      requests: s[CONNECTION_REQUESTS] ?? 1,
    };
  }

  get exited(): boolean {
    return this.exitResponse !== null;
  }

  get shared(): Map<string, unknown> {
    if (this.sharedMap === null) this.sharedMap = new Map();
    return this.sharedMap;
  }

  pluginState<T>(pluginName: string, init: () => T): T {
    if (this.states === null) this.states = new Map();
    if (!this.states.has(pluginName)) this.states.set(pluginName, init());
    return this.states.get(pluginName) as T;
  }

  exit(status: number, body?: string | object | Buffer, options?: ExitOptions): void {
    const headers: Record<string, string | string[]> = {};
    if (options?.headers) for (const [k, v] of Object.entries(options.headers)) headers[k.toLowerCase()] = v;
    let buf: Buffer | null = null;
    if (Buffer.isBuffer(body)) buf = body;
    else if (typeof body === "string") buf = Buffer.from(body);
    else if (body !== undefined && body !== null) {
      buf = Buffer.from(JSON.stringify(body));
      if (headers["content-type"] === undefined) headers["content-type"] = JSON_CONTENT_TYPE;
    }
    this.exitResponse = { status, body: buf, headers };
  }

  exitMessage(status: number, message: string, options?: ExitOptions): void {
    const headers: Record<string, string | string[]> = {};
    if (options?.headers) for (const [k, v] of Object.entries(options.headers)) headers[k.toLowerCase()] = v;
    const explicit = headers["content-type"];
    const accept = typeof explicit === "string" ? explicit : this.request.headers.accept;
    const rendered = renderErrorBody(
      message,
      this.requestId,
      typeof accept === "string" ? accept : undefined,
    );
    if (headers["content-type"] === undefined) headers["content-type"] = rendered.contentType;
    this.exitResponse = { status, body: Buffer.from(rendered.body), headers };
  }
}

import { type IncomingMessage, type Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Dispatcher } from "undici";
import type { HashSource, Peer, UpstreamBalancer } from "../balancer/index.js";
import { hostHeaderFor } from "../balancer/index.js";
import type { GatewayRoute, GatewayService } from "../config/types.js";
import type { GatewayLogger, ResponseHead } from "../plugins/types.js";
import type { RouteMatch } from "../router/types.js";
import type { GatewaySnapshot } from "../snapshot.js";
import { dispatchToTarget, type UpstreamPools } from "../transport/dispatch.js";
import { type AccessLogWriter, headerRecord } from "./access-log.js";
import { errorExit, httpsRequiredExit, jsonExit } from "./answers.js";
import type { ClientBodyGuard } from "./client-body-guard.js";
import { appendVia, SERVER_TOKEN } from "./constants.js";
import { countRequest, type ExitResponse, ProxyContext } from "./context.js";
import { classifyUpstreamError, PROXY_ERRORS, type ProxyErrorCode } from "./errors.js";
import { RequestHashSource } from "./hash-source.js";
import { rawHeadersWithoutHopByHop } from "./hop-by-hop.js";
import { accessLogLineFor, type ExchangeRecord, elapsedMs, logEntryFor } from "./log-entry.js";
import { logRedactionFor } from "./log-redaction.js";
import {
  bodyPluginsFor,
  hasLogPhase,
  hasResponsePhase,
  type PluginInstance,
  runAccess,
  runLog,
  runResponseBody,
  runResponseHeaders,
} from "./pipeline.js";
import type { RealIp } from "./real-ip.js";
import { requestIdFor } from "./request-id.js";
import { requestLineRefusal } from "./request-line.js";
import { hasBody, hostWithoutPort, type RequestTarget, splitTarget } from "./request-target.js";
import { normalizeIp } from "./trusted-ips.js";
import { isWebSocketUpgrade, replayWithoutUpgrade } from "./upgrade.js";
import { type PreparedUpstreamRequest, prepareUpstreamRequest } from "./upstream-request.js";

/** What the proxy listener needs from the running gateway. */
export interface ProxyState {
  /** the snapshot new requests start on (null until a config is loaded) */
  readonly current: GatewaySnapshot | null;
  /** trusted_ips, real_ip_header, real_ip_recursive: who the client is */
  readonly realIp: RealIp;
  /** client_body_timeout and the minimum body rate */
  readonly bodyGuard: ClientBodyGuard;
  readonly pools: UpstreamPools;
  readonly logger: GatewayLogger;
  readonly accessLog: AccessLogWriter | null;
  /** called when a request arrives */
  begin(): void;
  /** called once when a request ends, with the snapshot it ran on (drain bookkeeping) */
  release(snapshot: GatewaySnapshot | null): void;
}

const NO_PLUGINS: readonly PluginInstance[] = [];
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]);
/**
 * undici's header/body timers tick at ~1 s resolution; read timeouts shorter than this get a
 * precise timer of our own (refreshed on every chunk) on top.
 */
const PRECISE_READ_TIMEOUT_BELOW_MS = 5000;
const noop = (): void => undefined;
/** process.hrtime.bigint() at performance.now() === 0, to derive RequestContext.startedAt. */
const HRTIME_ORIGIN_NS = process.hrtime.bigint() - BigInt(Math.round(performance.now() * 1e6));

const EXCHANGE = Symbol("exchange");
type WithExchange = ServerResponse & { [EXCHANGE]?: Exchange };

function onResponseClose(this: WithExchange): void {
  this[EXCHANGE]?.onClientClose();
}

/** Build the request listener of the proxy port. */
export function createProxyHandler(state: ProxyState): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    new Exchange(state, req, res, null).start();
  };
}

/**
 * Build the `upgrade` listener of the proxy port. Only `Upgrade: websocket` is tunnelled (as
 * Kong): the same routing, plugins and errors as plain requests (a ServerResponse is bound to
 * the raw socket for gateway answers); a 101 from upstream turns the connection into a tunnel.
 * Any other upgrade (`h2c`, `TLS/1.2`…) is handed back to `server` as a plain HTTP request
 * without its upgrade fields, so nothing is tunnelled past the router.
 */
export function createUpgradeHandler(
  state: ProxyState,
  server: Server,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    if (!isWebSocketUpgrade(req)) {
      replayWithoutUpgrade(server, req, socket as Socket, head);
      return;
    }
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    const exchange = new Exchange(state, req, res, { socket, head });
    // a gateway answer (or a non-101 upstream answer) ends the connection
    res.once("finish", () => {
      if (!exchange.tunnelling) socket.end();
    });
    socket.on("error", noop);
    exchange.start();
  };
}

/**
 * One proxied request from arrival to the log phase. It is also the undici dispatch
 * handler of its upstream attempts (undici's core handler interface: raw header lists go
 * straight to `res.writeHead` without an intermediate object). The plugin context is only
 * built on routes that have plugins.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly tStart = performance.now();
  private snapshot: GatewaySnapshot | null = null;
  private ctx: ProxyContext | null = null;
  private upstream: PreparedUpstreamRequest | null = null;
  private plugins: readonly PluginInstance[] = NO_PLUGINS;
  private route: GatewayRoute | null = null;
  private service: GatewayService | null = null;
  private match: RouteMatch | null = null;
  private protocol: "http" | "https" = "http";
  private host = "";
  private requestId = "";
  private clientIp = "";
  /** the TCP peer, and whether it is in trusted_ips */
  private peerIp = "";
  private trusted = false;
  private target: RequestTarget = { path: "/", rawQuery: "", authority: null };
  private balancer: UpstreamBalancer | null = null;
  private peer: Peer | null = null;
  private tried: Set<Peer> | null = null;
  private tries: Array<{ ip: string; port: number; balancer_latency?: number }> | null = null;
  private retriesLeft = 0;
  private abortUpstream: ((err?: Error) => void) | null = null;
  /** the current attempt reached a connected socket (undici's onConnect ran) */
  private connected = false;
  private resumeUpstream: (() => void) | null = null;
  private tUpstreamStart = 0;
  private tUpstreamHeaders = 0;
  private status = 0;
  private responseBytes = 0;
  private head: ResponseHead | null = null;
  /** the response header fields as handed to writeHead (a flat list or a record), for the log phase */
  private sentHeaders: Record<string, string | string[]> | string[] | null = null;
  private bodyChunks: Buffer[] | null = null;
  /** the plugins buffering this response's body (null: it streams) */
  private bodyPlugins: PluginInstance[] | null = null;
  private upstreamDone = false;
  private clientGone = false;
  /** the gateway gave up on the upstream exchange (client body timeout): its callbacks are ignored */
  private upstreamCancelled = false;
  private ended = false;
  private upstreamUri = "";
  private pausedForDrain = false;
  private tunnelled = false;
  private readTimer: NodeJS.Timeout | null = null;
  /** Kong's write_timeout while the client body streams upstream (refreshed per chunk sent) */
  private writeTimer: NodeJS.Timeout | null = null;
  private watchingBodyEnd = false;
  /** consistent hashing's view of the request (its made-up hash_on cookie goes on the response) */
  private hashing: RequestHashSource | null = null;

  constructor(
    private readonly state: ProxyState,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly upgrade: { socket: Duplex; head: Buffer } | null,
  ) {}

  get tunnelling(): boolean {
    return this.tunnelled;
  }

  start(): void {
    const { req, res, state } = this;
    state.begin();
    (res as WithExchange)[EXCHANGE] = this;
    res.once("close", onResponseClose);
    req.on("error", noop);
    countRequest(req.socket);
    const headers = req.headers;
    this.requestId = requestIdFor(headers);
    const peer = normalizeIp(req.socket.remoteAddress);
    const realIp = state.realIp;
    const trusted = realIp.isTrusted(peer);
    this.peerIp = peer;
    this.trusted = trusted;
    this.clientIp = trusted ? realIp.clientOfTrusted(peer, req) : peer;
    const target = splitTarget(req.url);
    this.target = target;
    const refusal = requestLineRefusal(req, target);
    if (refusal !== null) {
      // nothing of a request the gateway cannot read as HTTP/1.x goes further
      res.shouldKeepAlive = false;
      this.sendError(refusal);
      return;
    }
    if (hasBody(req) && !req.complete) {
      state.bodyGuard.watch(req, () => this.onClientBodyTimeout());
    }
    const snapshot = state.current;
    if (snapshot === null) {
      this.sendError("GW_NO_ROUTE");
      return;
    }
    this.snapshot = snapshot;
    snapshot.inflight++;
    const protocol: "http" | "https" = trusted && headers["x-forwarded-proto"] === "https" ? "https" : "http";
    this.protocol = protocol;
    // RFC 9112 §3.2.2: an absolute-form target's authority replaces the Host header
    const host =
      target.authority === null ? hostWithoutPort(headers.host) : hostWithoutPort(target.authority);
    this.host = host;
    let match: RouteMatch | null;
    try {
      match = snapshot.router.match({
        method: req.method ?? "GET",
        host,
        path: this.target.path,
        headers,
        protocol,
      });
    } catch (err) {
      state.logger.error("router failed", { error: (err as Error).message });
      this.sendError("GW_INTERNAL");
      return;
    }
    if (match === null) {
      this.answerBeforeAccess(snapshot);
      this.sendError("GW_NO_ROUTE");
      return;
    }
    this.match = match;
    const route = match.route;
    this.route = route;
    this.service = match.service;
    // Kong: an https-only route asked over plain http (X-Forwarded-Proto counts from trusted peers)
    if (protocol === "http" && !route.protocols.includes("http") && route.protocols.includes("https")) {
      this.answerBeforeAccess(snapshot);
      this.sendHttpsRequired(route, host);
      return;
    }
    this.upstream = this.prepareUpstream(match);
    const plan = snapshot.plugins.planFor(route);
    if (plan.empty) {
      this.afterAccess();
      return;
    }
    const ctx = this.context();
    let result: readonly PluginInstance[] | Promise<readonly PluginInstance[]>;
    try {
      result = runAccess(ctx, plan);
    } catch (err) {
      this.pluginFailed(err, "access");
      return;
    }
    if (Array.isArray(result)) {
      this.plugins = result as readonly PluginInstance[];
      this.afterAccess();
    } else {
      (result as Promise<readonly PluginInstance[]>).then(
        (list) => {
          this.plugins = list;
          this.afterAccess();
        },
        (err: unknown) => this.pluginFailed(err, "access"),
      );
    }
  }

  /** THE upstream request of this exchange (for an unmatched request: the path as received). */
  private prepareUpstream(match: RouteMatch | null): PreparedUpstreamRequest {
    const req = this.req;
    return prepareUpstreamRequest({
      method: req.method ?? "GET",
      headers: req.headers,
      upstreamPath: match?.upstreamPath ?? this.target.path,
      rawQuery: this.target.rawQuery,
      downstreamPath: this.target.path,
      host: this.host,
      authority: this.target.authority,
      peerIp: this.peerIp,
      clientIp: this.clientIp,
      trusted: this.trusted,
      protocol: this.protocol,
      serverPort: req.socket.localPort ?? 0,
      preserveHost: match?.route.preserve_host ?? true,
      strippedPrefix: match?.strippedPrefix ?? null,
      requestId: this.requestId,
    });
  }

  /**
   * The gateway answers before the access phase (no route matched, https required): as
   * Kong's global plugins iterator, the global plugins' response and log phases still run
   * (Kong's prometheus, http-log, file-log see these requests). Their context has the
   * matched route, if any — for a 404, route and service are null.
   */
  private answerBeforeAccess(snapshot: GatewaySnapshot): void {
    const plugins = snapshot.plugins.unmatchedPlugins(this.protocol === "https");
    if (plugins.length === 0) return;
    this.plugins = plugins;
    this.context();
  }

  /** The plugin context (created on first need: routes with plugins, exits). */
  private context(): ProxyContext {
    if (this.ctx === null) {
      const match = this.match;
      if (this.upstream === null) this.upstream = this.prepareUpstream(match);
      this.ctx = new ProxyContext(
        this.req,
        this.requestId,
        HRTIME_ORIGIN_NS + BigInt(Math.round(this.tStart * 1e6)),
        this.clientIp,
        this.protocol,
        match?.route ?? null,
        match?.service ?? null,
        match?.uriCaptures ?? null,
        this.upstream,
        this.target.path,
        this.target.rawQuery,
        this.host,
      );
    }
    return this.ctx;
  }

  private afterAccess(): void {
    if (this.clientGone || this.upstreamCancelled) return;
    const exit = this.ctx?.exitResponse ?? null;
    if (exit !== null) this.sendExit(exit);
    else if (this.service === null) {
      // Kong checks for a service after the access phase: plugins of a service-less route run first
      this.sendExit(jsonExit(503, { message: PROXY_ERRORS.GW_NO_SERVICE.message }));
    } else this.proxy();
  }

  private pluginFailed(err: unknown, phase: string): void {
    this.state.logger.error("plugin failed", {
      phase,
      error: (err as Error)?.message,
      request_id: this.requestId,
    });
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    this.sendError("GW_INTERNAL");
  }

  // ---------------------------------------------------------------- upstream

  private proxy(): void {
    const service = this.service!;
    this.balancer = this.snapshot!.balancers.forService(service) ?? null;
    this.retriesLeft = service.retries;
    this.tUpstreamStart = performance.now();
    this.attempt();
  }

  private attempt(): void {
    const balancer = this.balancer;
    if (balancer === null) {
      this.sendError("GW_NO_PEER");
      return;
    }
    const hash: HashSource | null =
      balancer.upstream.algorithm === "consistent-hashing" ? this.hashSource() : null;
    let peer = balancer.select(hash, this.tried);
    if (peer === null && this.tried !== null) peer = balancer.select(hash, null);
    if (peer === null) {
      this.sendError(balancer.peers.length === 0 && balancer.hasDnsTargets ? "GW_DNS_FAILED" : "GW_NO_PEER");
      return;
    }
    this.peer = peer;
    this.connected = false;
    this.abortUpstream = null;
    if (this.tries === null) this.tries = [];
    this.tries.push({ ip: peer.ip, port: peer.port });
    const up = this.upstream!;
    const service = this.service!;
    const protocol = protocolOf(service);
    const headers = up.headers;
    if (headers.host === undefined) {
      headers.host = balancer.upstream.host_header ?? hostHeaderFor(peer.hostname, peer.port, protocol);
    }
    this.upstreamUri = up.target();
    let body: IncomingMessage | Buffer | null = null;
    const buffered = this.ctx?.request.buffered ?? null;
    if (up.body !== undefined) {
      body = up.body;
      headers["content-length"] = String(up.body.length);
    } else if (buffered !== null) {
      body = buffered;
      headers["content-length"] = String(buffered.length);
    } else if (hasBody(this.req)) {
      body = this.req;
      this.startWriteTimer(service.write_timeout);
    }
    if (service.read_timeout < PRECISE_READ_TIMEOUT_BELOW_MS) this.startReadTimer(service.read_timeout);
    try {
      dispatchToTarget(
        this.state.pools,
        { host: peer.ip, port: peer.port, protocol, servername: peer.hostname },
        {
          method: up.method,
          path: this.upstreamUri,
          headers,
          body,
          connectTimeout: service.connect_timeout,
          headersTimeout: service.read_timeout,
          bodyTimeout: service.read_timeout,
          upgrade: this.upgrade === null ? null : String(this.req.headers.upgrade ?? "websocket"),
        },
        this,
        peer,
      );
    } catch (err) {
      this.clearReadTimer();
      this.state.logger.error("dispatch failed", { error: (err as Error).message });
      this.releasePeer();
      this.sendError("GW_INTERNAL");
    }
  }

  private startReadTimer(timeoutMs: number): void {
    this.clearReadTimer();
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      this.abortUpstream?.(
        Object.assign(new Error("upstream read timeout"), { code: "UND_ERR_HEADERS_TIMEOUT" }),
      );
    }, timeoutMs);
  }

  private clearReadTimer(): void {
    if (this.readTimer !== null) {
      clearTimeout(this.readTimer);
      this.readTimer = null;
    }
    this.clearWriteTimer();
  }

  private startWriteTimer(timeoutMs: number): void {
    this.clearWriteTimer();
    if (timeoutMs <= 0 || this.req.readableEnded) return;
    this.writeTimer = setTimeout(() => {
      this.writeTimer = null;
      this.abortUpstream?.(Object.assign(new Error("upstream write timeout"), { code: "GW_WRITE_TIMEOUT" }));
    }, timeoutMs);
    // the whole body went out: from here on only the read timeout applies
    if (!this.watchingBodyEnd) {
      this.watchingBodyEnd = true;
      this.req.once("end", () => this.clearWriteTimer());
    }
  }

  private clearWriteTimer(): void {
    if (this.writeTimer !== null) {
      clearTimeout(this.writeTimer);
      this.writeTimer = null;
    }
  }

  /** undici: a chunk of the request body was written to the upstream socket. */
  onBodySent(): void {
    this.writeTimer?.refresh();
  }

  /** Consistent hashing's view of this request (one per exchange: a made-up cookie stays the same across retries). */
  private hashSource(): RequestHashSource {
    if (this.hashing === null) {
      const ctx = this.ctx;
      this.hashing = new RequestHashSource({
        headers: this.req.headers,
        clientIp: this.clientIp,
        target: this.target,
        consumerId: ctx?.consumer?.id ?? ctx?.credential?.id ?? null,
        uriCaptures: this.match?.uriCaptures ?? null,
        cookiePath: this.balancer?.upstream.hash_on_cookie_path ?? "/",
      });
    }
    return this.hashing;
  }

  private releasePeer(): void {
    if (this.peer !== null && this.balancer !== null) this.balancer.release(this.peer);
  }

  /** Latency headers and the request id, added to every proxied response head. */
  private pushGatewayHeaders(list: string[]): void {
    list.push(
      "x-kong-upstream-latency",
      String(elapsedMs(this.tUpstreamStart, this.tUpstreamHeaders)),
      "x-kong-proxy-latency",
      String(elapsedMs(this.tStart, this.tUpstreamStart)),
      "x-kong-request-id",
      this.requestId,
    );
  }

  // undici core handler interface --------------------------------------------

  onConnect(abort: (err?: Error) => void): void {
    this.connected = true;
    this.abortUpstream = abort;
    if (this.clientGone || this.upstreamCancelled) abort(clientAbortError());
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx informational: not relayed
    if (this.upstreamCancelled) return false;
    this.readTimer?.refresh();
    this.clearWriteTimer();
    this.resumeUpstream = resume;
    this.tUpstreamHeaders = performance.now();
    this.status = statusCode;
    if (this.peer !== null) this.balancer?.report(this.peer, { kind: "status", status: statusCode });
    const { list, via } = rawHeadersWithoutHopByHop(rawHeaders);
    list.push("via", appendVia(via));
    this.pushGatewayHeaders(list);
    const hashCookie = this.hashing?.generatedCookie ?? null;
    if (hashCookie !== null) list.push("set-cookie", hashCookie.header);
    const ctx = this.ctx;
    if (ctx === null || !hasResponsePhase(this.plugins)) {
      // no plugin looks at or changes the response: the flat list goes out as it is
      if (ctx !== null) overrideHeaders(list, ctx.downstreamHeaders);
      if (!this.clientGone) this.res.writeHead(statusCode, list);
      this.sentHeaders = list;
      return true;
    }
    const head: ResponseHead = { status: statusCode, headers: headerRecord(list), source: "upstream" };
    for (const k in ctx.downstreamHeaders) head.headers[k] = ctx.downstreamHeaders[k]!;
    this.head = head;
    const plugins = this.plugins;
    let r: void | Promise<void>;
    try {
      r = plugins.length === 0 ? undefined : runResponseHeaders(ctx, plugins, head);
    } catch (err) {
      this.abortUpstream?.(err as Error);
      this.pluginFailed(err, "responseHeaders");
      return false;
    }
    if (r === undefined) return this.afterResponseHeaders(ctx, head);
    r.then(
      () => {
        if (this.afterResponseHeaders(ctx, head)) resume();
      },
      (err: unknown) => {
        this.abortUpstream?.(err as Error);
        this.pluginFailed(err, "responseHeaders");
      },
    );
    return false;
  }

  /** The head is final: buffer the body for the plugins that want it, else send the head and stream. */
  private afterResponseHeaders(ctx: ProxyContext, head: ResponseHead): boolean {
    let bodyPlugins: PluginInstance[] | null;
    try {
      bodyPlugins = this.plugins.length === 0 ? null : bodyPluginsFor(ctx, this.plugins, head);
    } catch (err) {
      this.abortUpstream?.(err as Error);
      this.pluginFailed(err, "responseHeaders");
      return false;
    }
    this.bodyPlugins = bodyPlugins;
    if (bodyPlugins === null) this.writeHead(head);
    else this.bodyChunks = [];
    return true;
  }

  private writeHead(head: ResponseHead): void {
    if (this.clientGone || this.res.headersSent) return;
    this.res.writeHead(head.status, head.headers);
    this.sentHeaders = head.headers;
  }

  onData(chunk: Buffer): boolean {
    if (this.status < 200 || this.upstreamCancelled) return true;
    this.readTimer?.refresh();
    this.responseBytes += chunk.length;
    if (this.bodyChunks !== null) {
      this.bodyChunks.push(chunk);
      return true;
    }
    if (this.clientGone) return true;
    if (this.res.write(chunk)) return true;
    if (!this.pausedForDrain) {
      this.pausedForDrain = true;
      this.res.once("drain", () => {
        this.pausedForDrain = false;
        this.resumeUpstream?.();
      });
    }
    return false;
  }

  onComplete(): void {
    this.clearReadTimer();
    this.upstreamDone = true;
    this.releasePeer();
    if (this.clientGone || this.upstreamCancelled) return;
    if (this.bodyChunks !== null) {
      const chunks = this.bodyChunks;
      this.bodyChunks = null;
      const head = this.head!;
      runResponseBody(this.ctx!, this.bodyPlugins!, head, Buffer.concat(chunks)).then(
        (body) => {
          if (this.clientGone) return;
          head.headers["content-length"] = String(body.length);
          this.writeHead(head);
          this.res.end(this.req.method === "HEAD" ? undefined : body);
        },
        (err: unknown) => this.pluginFailed(err, "responseBody"),
      );
      return;
    }
    this.res.end();
  }

  onError(err: Error): void {
    this.clearReadTimer();
    const peer = this.peer;
    this.releasePeer();
    if (this.clientGone || this.upstreamCancelled) return;
    const info = classifyUpstreamError(err);
    if (peer !== null)
      this.balancer?.report(peer, info.timeout ? { kind: "timeout" } : { kind: "tcp_failure" });
    if (this.status >= 200 || this.tunnelled) {
      // the response had started: nothing to answer with, cut the client connection
      this.res.destroy();
      return;
    }
    const code = (err as { code?: string }).code;
    // undici calls onConnect only once a socket is connected and the request is about to be
    // written: an error before that (refused, unreachable, connect timeout…) means the
    // upstream never saw the request, so any method may be retried
    const connectPhase = !this.connected;
    const up = this.upstream!;
    const replayable = up.body !== undefined || !hasBody(this.req) || !this.req.readableDidRead;
    const safe = connectPhase || IDEMPOTENT.has(up.method);
    if (info.retryable && safe && replayable && this.retriesLeft > 0) {
      this.retriesLeft--;
      if (peer !== null) {
        if (this.tried === null) this.tried = new Set();
        this.tried.add(peer);
      }
      this.attempt();
      return;
    }
    this.state.logger.warn("upstream request failed", {
      request_id: this.requestId,
      upstream: peer?.key,
      error: err.message,
      code,
    });
    this.sendError(info.code);
  }

  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, upstreamSocket: Duplex): void {
    this.clearReadTimer();
    const client = this.upgrade?.socket;
    if (client === undefined || this.clientGone || this.upstreamCancelled || client.destroyed) {
      upstreamSocket.destroy();
      this.releasePeer();
      return;
    }
    this.tunnelled = true;
    this.tUpstreamHeaders = performance.now();
    this.status = statusCode;
    if (this.peer !== null) this.balancer?.report(this.peer, { kind: "status", status: statusCode });
    // a 101 keeps its Connection/Upgrade fields: they are what the client asked for
    const list: string[] = [];
    let via: string | undefined;
    const raw = rawHeaders ?? [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = String(raw[i]);
      const value = String(raw[i + 1]);
      if (name.toLowerCase() === "via") via = value;
      else list.push(name, value);
    }
    list.push("via", appendVia(via));
    this.pushGatewayHeaders(list);
    const ctx = this.ctx;
    const head: ResponseHead = { status: statusCode, headers: headerRecord(list), source: "upstream" };
    if (ctx !== null) for (const k in ctx.downstreamHeaders) head.headers[k] = ctx.downstreamHeaders[k]!;
    this.head = head;
    const open = () => {
      let text = `HTTP/1.1 ${head.status} Switching Protocols\r\n`;
      for (const k in head.headers) {
        const v = head.headers[k]!;
        for (const one of Array.isArray(v) ? v : [v]) text += `${k}: ${one}\r\n`;
      }
      client.write(`${text}\r\n`);
      this.sentHeaders = head.headers;
      const early = this.upgrade!.head;
      if (early.length > 0) upstreamSocket.write(early);
      let closed = 0;
      const close = () => {
        client.destroy();
        upstreamSocket.destroy();
        if (++closed === 1) {
          this.releasePeer();
          this.end(true);
        }
      };
      upstreamSocket.on("error", close);
      client.on("error", close);
      upstreamSocket.on("close", close);
      client.on("close", close);
      upstreamSocket.pipe(client);
      client.pipe(upstreamSocket);
    };
    let r: Promise<void> | undefined;
    try {
      if (ctx !== null && this.plugins.length > 0)
        r = runResponseHeaders(ctx, this.plugins, head) ?? undefined;
    } catch (err) {
      upstreamSocket.destroy();
      this.pluginFailed(err, "responseHeaders");
      return;
    }
    if (r === undefined) open();
    else
      r.then(open, (err: unknown) => {
        upstreamSocket.destroy();
        this.pluginFailed(err, "responseHeaders");
      });
  }

  // ---------------------------------------------------------------- gateway answers

  /** Answer with Kong's error for a gateway failure (runs response phases of the request's plugins). */
  private sendError(code: ProxyErrorCode): void {
    const accept = this.req.headers.accept;
    this.sendExit(errorExit(code, this.requestId, typeof accept === "string" ? accept : undefined));
  }

  /** Plain http on an https-only route: 426, or the route's redirect to https. */
  private sendHttpsRequired(route: GatewayRoute, host: string): void {
    const forwardedHost = this.trusted ? this.req.headers["x-forwarded-host"] : undefined;
    const redirectHost = typeof forwardedHost === "string" && forwardedHost !== "" ? forwardedHost : host;
    // the request URI as received; of an absolute-form target, its path and query
    const { path, rawQuery, authority } = this.target;
    const uri = authority === null ? (this.req.url ?? "/") : rawQuery === "" ? path : `${path}?${rawQuery}`;
    this.sendExit(httpsRequiredExit(route, redirectHost, uri));
  }

  private sendExit(exit: ExitResponse): void {
    if (this.clientGone || this.res.headersSent) return;
    this.status = exit.status;
    const headers: Record<string, string | string[]> = {};
    const ctx = this.ctx;
    if (ctx !== null) for (const k in ctx.downstreamHeaders) headers[k] = ctx.downstreamHeaders[k]!;
    for (const k in exit.headers) headers[k] = exit.headers[k]!;
    const now = performance.now();
    if (this.tries === null) {
      // Kong: an answer of the gateway's own (no upstream was tried) has only its response latency
      headers["x-kong-response-latency"] = String(elapsedMs(this.tStart, now));
    } else {
      // the upstream was tried and failed: the proxied request's latencies
      headers["x-kong-upstream-latency"] = String(elapsedMs(this.tUpstreamStart, now));
      headers["x-kong-proxy-latency"] = String(elapsedMs(this.tStart, this.tUpstreamStart));
    }
    headers["x-kong-request-id"] = this.requestId;
    headers.server = SERVER_TOKEN;
    const head: ResponseHead = { status: exit.status, headers, source: "exit" };
    this.head = head;
    const plugins = this.plugins;
    const finish = (body: Buffer | null) => {
      if (this.clientGone || this.res.headersSent) return;
      const size = body?.length ?? 0;
      head.headers["content-length"] = String(size);
      this.responseBytes = size;
      this.res.writeHead(head.status, head.headers);
      this.sentHeaders = head.headers;
      this.res.end(this.req.method === "HEAD" ? undefined : (body ?? undefined));
    };
    if (ctx === null || plugins.length === 0) {
      finish(exit.body);
      return;
    }
    Promise.resolve()
      .then(() => runResponseHeaders(ctx, plugins, head))
      .then(() => {
        const bodyPlugins = bodyPluginsFor(ctx, plugins, head);
        return bodyPlugins === null
          ? exit.body
          : runResponseBody(ctx, bodyPlugins, head, exit.body ?? Buffer.alloc(0));
      })
      .then(finish, (err: unknown) => {
        this.state.logger.error("plugin failed", { phase: "exit response", error: (err as Error)?.message });
        finish(exit.body);
      });
  }

  /**
   * The client's body stalled or trickled below the minimum rate (ClientBodyGuard): stop the
   * upstream exchange, answer 408 and close the connection (nginx's client_body_timeout).
   */
  private onClientBodyTimeout(): void {
    if (this.ended || this.clientGone || this.tunnelled) return;
    this.upstreamCancelled = true;
    this.clearReadTimer();
    this.res.shouldKeepAlive = false;
    if (this.abortUpstream !== null && !this.upstreamDone) this.abortUpstream(clientAbortError());
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    this.sendError("GW_CLIENT_BODY_TIMEOUT");
  }

  // ---------------------------------------------------------------- completion

  onClientClose(): void {
    if (this.tunnelled) return; // the tunnel's own close handler ends the exchange
    const completed = this.res.writableFinished;
    if (!completed) {
      this.clientGone = true;
      if (this.abortUpstream !== null && !this.upstreamDone) this.abortUpstream(clientAbortError());
    }
    this.end(completed);
  }

  private end(completed: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.state.bodyGuard.unwatch(this.req);
    const tEnd = performance.now();
    if (!completed && this.status === 0) this.status = 499;
    const plugins = this.plugins;
    const ctx = this.ctx;
    const logPhase = ctx !== null && plugins.length > 0 && hasLogPhase(plugins);
    const accessLog = this.state.accessLog;
    if (logPhase || accessLog !== null) {
      const record = this.record(tEnd);
      if (logPhase) runLog(ctx, plugins, logEntryFor(record), this.state.logger);
      if (accessLog !== null) accessLog.write(accessLogLineFor(record));
    }
    this.state.release(this.snapshot);
  }

  /** What the log phase and the access log are told about this exchange. */
  private record(tEnd: number): ExchangeRecord {
    return {
      req: this.req,
      res: this.res,
      requestId: this.requestId,
      protocol: this.protocol,
      target: this.target,
      status: this.status,
      responseBytes: this.responseBytes,
      responseHeaders: this.sentHeaders,
      clientIp: this.clientIp,
      route: this.route,
      service: this.service,
      consumer: this.ctx?.consumer ?? null,
      upstreamUri: this.upstreamUri,
      redaction: logRedactionFor(this.snapshot?.config ?? null),
      tries: this.tries,
      tStart: this.tStart,
      tUpstreamStart: this.tUpstreamStart,
      tUpstreamHeaders: this.tUpstreamHeaders,
      tEnd,
    };
  }
}

function clientAbortError(): Error {
  return Object.assign(new Error("client closed the connection"), { code: "GW_CLIENT_ABORT" });
}

function protocolOf(service: GatewayService): "http" | "https" {
  return service.protocol === "https" || service.protocol === "wss" || service.protocol === "grpcs"
    ? "https"
    : "http";
}

/**
 * Put the plugins' response headers (lowercased names) into a flat `[name, value, …]` list,
 * replacing the fields of the same name (as setting a header on a record would).
 */
function overrideHeaders(list: string[], extra: Readonly<Record<string, string | string[]>>): void {
  const names = Object.keys(extra);
  if (names.length === 0) return;
  let kept = 0;
  for (let i = 0; i < list.length; i += 2) {
    if (names.includes(list[i]!.toLowerCase())) continue;
    list[kept++] = list[i]!;
    list[kept++] = list[i + 1]!;
  }
  list.length = kept;
  for (const k of names) {
    const v = extra[k]!;
    if (typeof v === "string") list.push(k, v);
    else for (const one of v) list.push(k, one);
  }
}

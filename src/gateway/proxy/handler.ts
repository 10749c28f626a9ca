import { randomUUID } from "node:crypto";
import { type IncomingHttpHeaders, type IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Dispatcher } from "undici";
import type { HashSource, Peer, UpstreamBalancer } from "../balancer/index.js";
import { hostHeaderFor } from "../balancer/index.js";
import type { GatewayRoute, GatewayService, GatewayUpstream } from "../config/types.js";
import type { AccessLogEntry, GatewayLogger, ResponseHead } from "../plugins/types.js";
import type { RouteMatch } from "../router/types.js";
import type { GatewaySnapshot } from "../snapshot.js";
import { type AccessLogWriter, accessLogLine, redactedQuery, redactHeaders } from "./access-log.js";
import { appendVia, SERVER_TOKEN } from "./constants.js";
import { type ExitResponse, ProxyContext } from "./context.js";
import { dispatchToTarget, type UpstreamPools } from "./dispatch.js";
import { classifyUpstreamError, PROXY_ERRORS, type ProxyErrorCode, renderErrorBody } from "./errors.js";
import { withoutHopByHop } from "./hop-by-hop.js";
import {
  hasLogPhase,
  needsResponseBody,
  type PluginInstance,
  runAccess,
  runLog,
  runResponseBody,
  runResponseHeaders,
} from "./pipeline.js";
import { normalizeIp, resolveClientIp, type TrustedIps } from "./trusted-ips.js";
import { prepareUpstreamRequest } from "./upstream-request.js";

/** What the proxy listener needs from the running gateway. */
export interface ProxyState {
  /** the snapshot new requests start on (null until a config is loaded) */
  readonly current: GatewaySnapshot | null;
  readonly trusted: TrustedIps;
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
const MAX_REQUEST_ID_LENGTH = 200;
/**
 * undici's header/body timers tick at ~1 s resolution; read timeouts shorter than this get a
 * precise timer of our own (refreshed on every chunk) on top.
 */
const PRECISE_READ_TIMEOUT_BELOW_MS = 5000;

/** Parsed pieces of the request target. */
export interface RequestTarget {
  path: string;
  rawQuery: string;
}

export function splitTarget(url: string | undefined): RequestTarget {
  let u = url ?? "/";
  if (u.charCodeAt(0) !== 47 /* / */) {
    // absolute-form (proxy requests) or asterisk-form
    const scheme = u.indexOf("://");
    if (scheme > 0) {
      const slash = u.indexOf("/", scheme + 3);
      u = slash < 0 ? "/" : u.slice(slash);
    } else if (u !== "*") u = `/${u}`;
  }
  const q = u.indexOf("?");
  return q < 0 ? { path: u, rawQuery: "" } : { path: u.slice(0, q), rawQuery: u.slice(q + 1) };
}

/** Host header without port, lowercased (Kong's $host). */
export function hostWithoutPort(host: string | undefined): string {
  if (host === undefined || host === "") return "";
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf("]");
    return (end > 0 ? host.slice(0, end + 1) : host).toLowerCase();
  }
  const colon = host.indexOf(":");
  return (colon < 0 ? host : host.slice(0, colon)).toLowerCase();
}

/** X-Request-ID when the client sent a sane one, else a fresh 32-hex id. */
export function requestIdFor(headers: IncomingHttpHeaders): string {
  const given = headers["x-request-id"];
  if (typeof given === "string" && given.length > 0 && given.length <= MAX_REQUEST_ID_LENGTH) {
    if (/^[\x21-\x7e]+$/.test(given)) return given;
  }
  return randomUUID().replaceAll("-", "");
}

function ms(from: number, to: number): number {
  return Math.max(0, Math.round(to - from));
}

/** Build the request listener of the proxy port. */
export function createProxyHandler(state: ProxyState): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const exchange = new Exchange(state, req, res, null);
    exchange.start();
  };
}

/**
 * Build the `upgrade` listener of the proxy port (WebSocket and other upgrades): the same
 * routing, plugins and errors as plain requests (a ServerResponse is bound to the raw
 * socket for gateway answers); a 101 from upstream turns the connection into a tunnel.
 */
export function createUpgradeHandler(
  state: ProxyState,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    // a gateway answer (or a non-101 upstream answer) ends the connection
    res.once("finish", () => {
      if (!exchange.tunnelling) socket.end();
    });
    socket.on("error", () => undefined);
    const exchange = new Exchange(state, req, res, { socket, head });
    exchange.start();
  };
}

/**
 * One proxied request from arrival to the log phase. It is also the undici dispatch
 * handler of its upstream attempts (no per-attempt closures).
 */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly tStart = performance.now();
  private readonly startedAt = process.hrtime.bigint();
  private readonly startedAtMs = Date.now();
  private snapshot: GatewaySnapshot | null = null;
  private ctx: ProxyContext | null = null;
  private plugins: readonly PluginInstance[] = NO_PLUGINS;
  private route: GatewayRoute | null = null;
  private service: GatewayService | null = null;
  private requestId = "";
  private clientIp = "";
  private target: RequestTarget = { path: "/", rawQuery: "" };
  private balancer: UpstreamBalancer | null = null;
  private peer: Peer | null = null;
  private tried: Set<Peer> | null = null;
  private tries: Array<{ ip: string; port: number; balancer_latency?: number }> | null = null;
  private retriesLeft = 0;
  private controller: Dispatcher.DispatchController | null = null;
  private tUpstreamStart = 0;
  private tUpstreamHeaders = 0;
  private status = 0;
  private responseBytes = 0;
  private head: ResponseHead | null = null;
  private bodyChunks: Buffer[] | null = null;
  private upstreamDone = false;
  private clientGone = false;
  private ended = false;
  private upstreamUri = "";
  private pausedForDrain = false;
  private tunnelled = false;

  get tunnelling(): boolean {
    return this.tunnelled;
  }
  private readTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly state: ProxyState,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly upgrade: { socket: Duplex; head: Buffer } | null,
  ) {}

  start(): void {
    const { req, res, state } = this;
    state.begin();
    res.once("close", () => this.onClientClose());
    req.on("error", () => undefined);
    const snapshot = state.current;
    this.requestId = requestIdFor(req.headers);
    const peer = normalizeIp(req.socket.remoteAddress);
    this.clientIp = resolveClientIp(
      peer,
      state.trusted,
      req.headers["x-real-ip"],
      req.headers["x-forwarded-for"],
    );
    this.target = splitTarget(req.url);
    if (snapshot === null) {
      this.sendError("GW_NO_ROUTE");
      return;
    }
    this.snapshot = snapshot;
    snapshot.inflight++;
    const trusted = !state.trusted.empty && state.trusted.has(peer);
    const xfp = req.headers["x-forwarded-proto"];
    const protocol: "http" | "https" = trusted && xfp === "https" ? "https" : "http";
    const host = hostWithoutPort(req.headers.host);
    let match: RouteMatch | null;
    try {
      match = snapshot.router.match({
        method: req.method ?? "GET",
        host,
        path: this.target.path,
        headers: req.headers,
        protocol,
      });
    } catch (err) {
      state.logger.error("router failed", { error: (err as Error).message });
      this.sendError("GW_INTERNAL");
      return;
    }
    if (match === null) {
      this.sendError("GW_NO_ROUTE");
      return;
    }
    this.route = match.route;
    this.service = match.service;
    if (
      !match.route.protocols.includes(protocol) &&
      protocol === "http" &&
      match.route.protocols.includes("https")
    ) {
      this.sendHttpsRequired(match.route, host);
      return;
    }
    const upstream = prepareUpstreamRequest({
      method: req.method ?? "GET",
      headers: req.headers,
      upstreamPath: match.upstreamPath,
      rawQuery: this.target.rawQuery,
      downstreamPath: this.target.path,
      host,
      peerIp: peer,
      clientIp: this.clientIp,
      trusted,
      protocol,
      serverPort: req.socket.localPort ?? 0,
      preserveHost: match.route.preserve_host,
      strippedPrefix: match.strippedPrefix,
      requestId: this.requestId,
    });
    const ctx = new ProxyContext(
      req,
      this.requestId,
      this.startedAt,
      this.clientIp,
      protocol,
      match.route,
      match.service,
      match.uriCaptures,
      upstream,
      this.target.path,
      this.target.rawQuery,
      host,
    );
    this.ctx = ctx;
    const plan = snapshot.plugins.planFor(match.route);
    if (plan.empty) {
      this.afterAccess();
      return;
    }
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

  private afterAccess(): void {
    if (this.clientGone) return;
    const ctx = this.ctx!;
    if (ctx.exitResponse === null && this.service === null) {
      // Kong checks for a service after the access phase: plugins of a service-less route run
      ctx.exit(503, { message: PROXY_ERRORS.GW_NO_SERVICE.message });
    }
    const exit = ctx.exitResponse;
    if (exit !== null) this.sendExit(exit);
    else this.proxy();
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
    const snapshot = this.snapshot!;
    const service = this.service!;
    const balancer = snapshot.balancers.forService(service) ?? null;
    this.balancer = balancer;
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
    if (this.tries === null) this.tries = [];
    this.tries.push({ ip: peer.ip, port: peer.port });
    const ctx = this.ctx!;
    const up = ctx.upstream;
    const service = this.service!;
    const headers = up.headers;
    if (headers.host === undefined) {
      const hostHeader =
        balancer.upstream.host_header ?? hostHeaderFor(peer.hostname, peer.port, protocolOf(service));
      headers.host = hostHeader;
    }
    this.upstreamUri = up.target();
    let body: IncomingMessage | Buffer | null = null;
    if (up.body !== undefined) {
      body = up.body;
      headers["content-length"] = String(up.body.length);
    } else if (ctx.request.buffered !== null) {
      body = ctx.request.buffered;
      headers["content-length"] = String(body.length);
    } else if (hasBody(this.req)) {
      body = this.req;
    }
    if (service.read_timeout < PRECISE_READ_TIMEOUT_BELOW_MS) this.startReadTimer(service.read_timeout);
    try {
      dispatchToTarget(
        this.state.pools,
        { host: peer.ip, port: peer.port, protocol: protocolOf(service) },
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
      );
    } catch (err) {
      this.state.logger.error("dispatch failed", { error: (err as Error).message });
      this.releasePeer();
      this.sendError("GW_INTERNAL");
    }
  }

  private startReadTimer(ms: number): void {
    this.clearReadTimer();
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      const err = Object.assign(new Error("upstream read timeout"), { code: "UND_ERR_HEADERS_TIMEOUT" });
      if (this.controller !== null) this.controller.abort(err);
    }, ms);
  }

  private clearReadTimer(): void {
    if (this.readTimer !== null) {
      clearTimeout(this.readTimer);
      this.readTimer = null;
    }
  }

  private hashSource(): HashSource {
    const ctx = this.ctx!;
    return {
      value: (kind: GatewayUpstream["hash_on"], name: string | null): string | null => {
        switch (kind) {
          case "ip":
            return ctx.clientIp;
          case "consumer":
            return ctx.consumer?.id ?? ctx.credential?.id ?? null;
          case "header": {
            if (name === null) return null;
            const v = this.req.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(",") : v;
          }
          case "cookie":
            return name === null ? null : cookieValue(this.req.headers.cookie, name);
          case "path":
            return ctx.request.path;
          case "query_arg": {
            if (name === null) return null;
            const all = ctx.request.query.getAll(name);
            return all.length === 0 ? null : all.join(",");
          }
          case "uri_capture":
            return name === null ? null : (ctx.uriCaptures?.[name] ?? null);
          default:
            return null;
        }
      },
    };
  }

  private releasePeer(): void {
    if (this.peer !== null && this.balancer !== null) this.balancer.release(this.peer);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new Error("client closed the connection"));
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    upstreamSocket: Duplex,
  ): void {
    this.clearReadTimer();
    const client = this.upgrade?.socket;
    if (client === undefined || this.clientGone || client.destroyed) {
      upstreamSocket.destroy();
      this.releasePeer();
      return;
    }
    this.tunnelled = true;
    this.tUpstreamHeaders = performance.now();
    this.status = statusCode;
    if (this.peer !== null) this.balancer?.report(this.peer, { kind: "status", status: statusCode });
    const out: Record<string, string | string[]> = {};
    for (const k in headers) if (headers[k] !== undefined) out[k] = headers[k]!;
    out.via = appendVia(headers.via);
    out["x-kong-upstream-latency"] = String(ms(this.tUpstreamStart, this.tUpstreamHeaders));
    out["x-kong-proxy-latency"] = String(ms(this.tStart, this.tUpstreamStart));
    out["x-kong-request-id"] = this.requestId;
    const ctx = this.ctx!;
    for (const k in ctx.downstreamHeaders) out[k] = ctx.downstreamHeaders[k]!;
    const head: ResponseHead = { status: statusCode, headers: out, source: "upstream" };
    this.head = head;
    const open = () => {
      let text = `HTTP/1.1 ${head.status} Switching Protocols\r\n`;
      for (const k in head.headers) {
        const v = head.headers[k]!;
        for (const one of Array.isArray(v) ? v : [v]) text += `${k}: ${one}\r\n`;
      }
      client.write(`${text}\r\n`);
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
      if (this.plugins.length > 0) r = runResponseHeaders(ctx, this.plugins, head) ?? undefined;
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
    void controller;
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200) return; // 1xx informational: not relayed
    this.readTimer?.refresh();
    this.tUpstreamHeaders = performance.now();
    this.status = statusCode;
    if (this.peer !== null) this.balancer?.report(this.peer, { kind: "status", status: statusCode });
    const out = withoutHopByHop(headers);
    out.via = appendVia(headers.via);
    out["x-kong-upstream-latency"] = String(ms(this.tUpstreamStart, this.tUpstreamHeaders));
    out["x-kong-proxy-latency"] = String(ms(this.tStart, this.tUpstreamStart));
    out["x-kong-request-id"] = this.requestId;
    const ctx = this.ctx!;
    for (const k in ctx.downstreamHeaders) out[k] = ctx.downstreamHeaders[k]!;
    const head: ResponseHead = { status: statusCode, headers: out, source: "upstream" };
    this.head = head;
    const plugins = this.plugins;
    if (plugins.length === 0) {
      this.writeHead(head);
      return;
    }
    if (needsResponseBody(plugins)) this.bodyChunks = [];
    let r: void | Promise<void>;
    try {
      r = runResponseHeaders(ctx, plugins, head);
    } catch (err) {
      controller.abort(err as Error);
      this.pluginFailed(err, "responseHeaders");
      return;
    }
    if (r === undefined) {
      if (this.bodyChunks === null) this.writeHead(head);
      return;
    }
    controller.pause();
    r.then(
      () => {
        if (this.bodyChunks === null) this.writeHead(head);
        controller.resume();
      },
      (err: unknown) => {
        controller.abort(err as Error);
        this.pluginFailed(err, "responseHeaders");
      },
    );
  }

  private writeHead(head: ResponseHead): void {
    if (this.clientGone || this.res.headersSent) return;
    this.res.writeHead(head.status, head.headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.status < 200) return;
    this.readTimer?.refresh();
    this.responseBytes += chunk.length;
    if (this.bodyChunks !== null) {
      this.bodyChunks.push(chunk);
      return;
    }
    if (this.clientGone) return;
    if (!this.res.write(chunk) && !this.pausedForDrain) {
      this.pausedForDrain = true;
      controller.pause();
      this.res.once("drain", () => {
        this.pausedForDrain = false;
        controller.resume();
      });
    }
  }

  onResponseEnd(): void {
    this.clearReadTimer();
    this.upstreamDone = true;
    this.releasePeer();
    if (this.clientGone) return;
    if (this.bodyChunks !== null) {
      const chunks = this.bodyChunks;
      this.bodyChunks = null;
      const head = this.head!;
      runResponseBody(this.ctx!, this.plugins, head, Buffer.concat(chunks)).then(
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

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.clearReadTimer();
    const peer = this.peer;
    this.releasePeer();
    if (this.clientGone) return;
    const info = classifyUpstreamError(err);
    if (this.status >= 200) {
      // the response had started: nothing to answer with, cut the client connection
      if (peer !== null)
        this.balancer?.report(peer, info.timeout ? { kind: "timeout" } : { kind: "tcp_failure" });
      this.res.destroy();
      return;
    }
    if (peer !== null)
      this.balancer?.report(peer, info.timeout ? { kind: "timeout" } : { kind: "tcp_failure" });
    const code = (err as { code?: string }).code;
    const connectPhase = code === "ECONNREFUSED" || code === "UND_ERR_CONNECT_TIMEOUT";
    const replayable =
      this.ctx!.upstream.body !== undefined || !this.req.readableDidRead || !hasBody(this.req);
    const safe = connectPhase || IDEMPOTENT.has(this.ctx!.upstream.method);
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

  // ---------------------------------------------------------------- gateway answers

  /** Answer with Kong's error for a gateway failure (runs response phases of the request's plugins). */
  private sendError(code: ProxyErrorCode): void {
    const spec = PROXY_ERRORS[code];
    if (this.ctx !== null) {
      this.ctx.exitMessage(spec.status, spec.message);
      this.sendExit(this.ctx.exitResponse!);
      return;
    }
    const accept = this.req.headers.accept;
    const rendered = renderErrorBody(
      spec.message,
      this.requestId,
      typeof accept === "string" ? accept : undefined,
    );
    this.sendExit({
      status: spec.status,
      body: Buffer.from(rendered.body),
      headers: { "content-type": rendered.contentType },
    });
  }

  private sendHttpsRequired(route: GatewayRoute, host: string): void {
    const status = route.https_redirect_status_code;
    if (status === 426) {
      const accept = this.req.headers.accept;
      const rendered = renderErrorBody(
        "Please use HTTPS protocol",
        this.requestId,
        typeof accept === "string" ? accept : undefined,
      );
      this.sendExit({
        status: 426,
        body: Buffer.from(rendered.body),
        headers: {
          "content-type": rendered.contentType,
          connection: "Upgrade",
          upgrade: "TLS/1.2, HTTP/1.1",
        },
      });
      return;
    }
    const location = `https://${host}${this.req.url ?? "/"}`;
    this.sendExit({ status, body: null, headers: { location } });
  }

  private sendExit(exit: ExitResponse): void {
    if (this.clientGone || this.res.headersSent) return;
    this.status = exit.status;
    const headers: Record<string, string | string[]> = {};
    const ctx = this.ctx;
    if (ctx !== null) for (const k in ctx.downstreamHeaders) headers[k] = ctx.downstreamHeaders[k]!;
    for (const k in exit.headers) headers[k] = exit.headers[k]!;
    const latency = String(ms(this.tStart, performance.now()));
    headers["x-kong-response-latency"] = latency;
    headers["x-kong-proxy-latency"] = latency;
    headers["x-kong-upstream-latency"] = "0";
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
      this.res.end(this.req.method === "HEAD" ? undefined : (body ?? undefined));
    };
    if (ctx === null || plugins.length === 0) {
      finish(exit.body);
      return;
    }
    Promise.resolve()
      .then(() => runResponseHeaders(ctx, plugins, head))
      .then(() =>
        needsResponseBody(plugins)
          ? runResponseBody(ctx, plugins, head, exit.body ?? Buffer.alloc(0))
          : exit.body,
      )
      .then(finish, (err: unknown) => {
        this.state.logger.error("plugin failed", { phase: "exit response", error: (err as Error)?.message });
        finish(exit.body);
      });
  }

  // ---------------------------------------------------------------- completion

  private onClientClose(): void {
    if (this.tunnelled) return; // the tunnel's own close handler ends the exchange
    const completed = this.res.writableFinished;
    if (!completed) {
      this.clientGone = true;
      if (this.controller !== null && !this.upstreamDone) {
        this.controller.abort(
          Object.assign(new Error("client closed the connection"), { code: "GW_CLIENT_ABORT" }),
        );
      }
    }
    this.end(completed);
  }

  private end(completed: boolean): void {
    if (this.ended) return;
    this.ended = true;
    const tEnd = performance.now();
    const snapshot = this.snapshot;
    if (!completed && this.status === 0) this.status = 499;
    const plugins = this.plugins;
    const wantLog = this.state.accessLog !== null || (this.ctx !== null && hasLogPhase(plugins));
    if (wantLog) {
      const entry = this.logEntry(tEnd, completed);
      if (this.ctx !== null && plugins.length > 0) runLog(this.ctx, plugins, entry, this.state.logger);
      if (this.state.accessLog !== null) {
        const ua = this.req.headers["user-agent"];
        this.state.accessLog.write(accessLogLine(entry, this.target.rawQuery, ua));
      }
    }
    this.state.release(snapshot);
  }

  private logEntry(tEnd: number, completed: boolean): AccessLogEntry {
    const req = this.req;
    const proxied = this.tUpstreamHeaders > 0;
    const upstreamMs = proxied ? ms(this.tUpstreamStart, this.tUpstreamHeaders) : 0;
    const total = ms(this.tStart, tEnd);
    const gateway = Math.max(0, total - (proxied ? ms(this.tUpstreamStart, tEnd) : 0));
    const route = this.route;
    const service = this.service;
    const consumer = this.ctx?.consumer ?? null;
    const cl = Number(req.headers["content-length"] ?? 0);
    const host = req.headers.host ?? "";
    return {
      request: {
        id: this.requestId,
        method: req.method ?? "GET",
        uri: req.url ?? "/",
        url: `${this.ctx?.protocol ?? "http"}://${host}${req.url ?? "/"}`,
        size: (Number.isFinite(cl) ? cl : 0) + headerBytes(req.rawHeaders) + (req.url?.length ?? 1) + 16,
        querystring: redactedQuery(this.target.rawQuery),
        headers: redactHeaders(req.headers),
      },
      response: {
        status: completed || this.status !== 0 ? this.status : 499,
        size: this.responseBytes + (this.res.headersSent ? headerBytesOf(this.res.getHeaders()) : 0),
        headers: redactHeaders(this.res.getHeaders() as Record<string, string | string[] | undefined>),
      },
      latencies: {
        request: total,
        kong: gateway,
        proxy: upstreamMs,
        gateway,
        upstream: upstreamMs,
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
      upstream_uri: this.upstreamUri,
      client_ip: this.clientIp,
      started_at: this.startedAtMs,
      ...(this.tries === null ? {} : { tries: this.tries }),
    };
  }
}

function protocolOf(service: GatewayService): "http" | "https" {
  return service.protocol === "https" || service.protocol === "wss" || service.protocol === "grpcs"
    ? "https"
    : "http";
}

/** Does the request carry a body (Content-Length > 0 or chunked)? */
export function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers["content-length"];
  if (cl !== undefined) return cl !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

function cookieValue(cookie: string | undefined, name: string): string | null {
  if (cookie === undefined) return null;
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function headerBytes(raw: string[]): number {
  let n = 0;
  for (const s of raw) n += s.length + 2;
  return n;
}

function headerBytesOf(headers: Record<string, unknown>): number {
  let n = 17;
  for (const k in headers) n += k.length + String(headers[k]).length + 4;
  return n;
}

import { type IncomingMessage, type Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { GatewayRoute, GatewayService } from "../config/types.js";
import type { GatewayLogger, ResponseHead } from "../plugins/types.js";
import type { RouteMatch } from "../router/types.js";
import type { GatewaySnapshot } from "../snapshot.js";
import type { UpstreamPools } from "../transport/dispatch.js";
import { type AccessLogWriter, headerRecord } from "./access-log.js";
import { errorExit, httpsRequiredExit, jsonExit } from "./answers.js";
import type { ClientBodyGuard } from "./client-body-guard.js";
import { SERVER_TOKEN } from "./constants.js";
import { countRequest, type ExitResponse, ProxyContext } from "./context.js";
import { PROXY_ERRORS, type ProxyErrorCode } from "./errors.js";
import type { HashableRequest } from "./hash-source.js";
import { accessLogLineFor, type ExchangeRecord, elapsedMs, logEntryFor } from "./log-entry.js";
import { logRedactionFor } from "./log-redaction.js";
import {
  hasLogPhase,
  hasResponsePhase,
  type PluginInstance,
  runAccess,
  runLog,
  runResponseBody,
  runResponsePhases,
} from "./pipeline.js";
import type { RealIp } from "./real-ip.js";
import { requestIdFor } from "./request-id.js";
import { requestLineRefusal } from "./request-line.js";
import { hasBody, hostWithoutPort, type RequestTarget, splitTarget } from "./request-target.js";
import { normalizeIp } from "./trusted-ips.js";
import { openTunnel } from "./tunnel.js";
import { isWebSocketUpgrade, replayWithoutUpgrade } from "./upgrade.js";
import { UpstreamCall, type UpstreamReceiver } from "./upstream-call.js";
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

/** Who asked for what, read when the request arrives (protocol and host once a snapshot is known). */
interface Arrival {
  readonly requestId: string;
  /** the TCP peer, and whether it is in trusted_ips */
  readonly peerIp: string;
  readonly trusted: boolean;
  readonly clientIp: string;
  readonly target: RequestTarget;
  protocol: "http" | "https";
  host: string;
}

function arrive(state: ProxyState, req: IncomingMessage): Arrival {
  const peerIp = normalizeIp(req.socket.remoteAddress);
  const realIp = state.realIp;
  const trusted = realIp.isTrusted(peerIp);
  return {
    requestId: requestIdFor(req.headers),
    peerIp,
    trusted,
    clientIp: trusted ? realIp.clientOfTrusted(peerIp, req) : peerIp,
    target: splitTarget(req.url),
    protocol: "http",
    host: "",
  };
}

/** A response whose body the plugins get whole: collected, then the body phase. */
interface Buffering {
  readonly head: ResponseHead;
  readonly plugins: PluginInstance[];
  readonly chunks: Buffer[];
}

/**
 * One proxied request from arrival to the log phase, read top to bottom: `start` (request
 * line, snapshot, router, access phase) → `proxy` (an `UpstreamCall` makes the attempts and
 * reports back through `UpstreamReceiver`: `head`, `chunk`, `complete`, `failed`, `upgrade`)
 * or a gateway answer (`sendExit`) → `finish` (log phase, access log). Every answer runs its
 * response phases through `runResponsePhases`. The plugin context is only built on routes
 * that have plugins.
 */
class Exchange implements UpstreamReceiver {
  private readonly tStart = performance.now();
  private readonly arrival: Arrival;
  private snapshot: GatewaySnapshot | null = null;
  private match: RouteMatch | null = null;
  private ctx: ProxyContext | null = null;
  private upstream: PreparedUpstreamRequest | null = null;
  private plugins: readonly PluginInstance[] = NO_PLUGINS;
  private call: UpstreamCall | null = null;
  private status = 0;
  private responseBytes = 0;
  /** the response header fields as handed to writeHead (a flat list or a record), for the log phase */
  private sentHeaders: Record<string, string | string[]> | string[] | null = null;
  private buffering: Buffering | null = null;
  /** the client went away before the response finished, or its body timed out (ClientBodyGuard) */
  private stopped: "client gone" | "body timeout" | null = null;
  private pausedForDrain = false;
  private tunnelled = false;
  private ended = false;

  constructor(
    private readonly state: ProxyState,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly upgradeOf: { socket: Duplex; head: Buffer } | null,
  ) {
    this.arrival = arrive(state, req);
  }

  get tunnelling(): boolean {
    return this.tunnelled;
  }

  private get clientGone(): boolean {
    return this.stopped === "client gone";
  }

  start(): void {
    const { req, res, state, arrival } = this;
    state.begin();
    (res as WithExchange)[EXCHANGE] = this;
    res.once("close", onResponseClose);
    req.on("error", noop);
    countRequest(req.socket);
    const headers = req.headers;
    const target = arrival.target;
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
    const protocol = arrival.trusted && headers["x-forwarded-proto"] === "https" ? "https" : "http";
    arrival.protocol = protocol;
    // RFC 9112 §3.2.2: an absolute-form target's authority replaces the Host header
    const host = hostWithoutPort(target.authority === null ? headers.host : target.authority);
    arrival.host = host;
    let match: RouteMatch | null;
    try {
      match = snapshot.router.match({
        method: req.method ?? "GET",
        host,
        path: target.path,
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
    const { req, arrival } = this;
    return prepareUpstreamRequest({
      method: req.method ?? "GET",
      headers: req.headers,
      upstreamPath: match?.upstreamPath ?? arrival.target.path,
      rawQuery: arrival.target.rawQuery,
      downstreamPath: arrival.target.path,
      host: arrival.host,
      authority: arrival.target.authority,
      peerIp: arrival.peerIp,
      clientIp: arrival.clientIp,
      trusted: arrival.trusted,
      protocol: arrival.protocol,
      serverPort: req.socket.localPort ?? 0,
      preserveHost: match?.route.preserve_host ?? true,
      strippedPrefix: match?.strippedPrefix ?? null,
      requestId: arrival.requestId,
    });
  }

  /**
   * The gateway answers before the access phase (no route matched, https required): as
   * Kong's global plugins iterator, the global plugins' response and log phases still run
   * (Kong's prometheus, http-log, file-log see these requests). Their context has the
   * matched route, if any — for a 404, route and service are null.
   */
  private answerBeforeAccess(snapshot: GatewaySnapshot): void {
    const plugins = snapshot.plugins.unmatchedPlugins(this.arrival.protocol === "https");
    if (plugins.length === 0) return;
    this.plugins = plugins;
    this.context();
  }

  /** The plugin context (created on first need: routes with plugins, exits). */
  private context(): ProxyContext {
    if (this.ctx === null) {
      const { match, arrival } = this;
      if (this.upstream === null) this.upstream = this.prepareUpstream(match);
      this.ctx = new ProxyContext(
        this.req,
        arrival.requestId,
        HRTIME_ORIGIN_NS + BigInt(Math.round(this.tStart * 1e6)),
        arrival.clientIp,
        arrival.protocol,
        match?.route ?? null,
        match?.service ?? null,
        match?.uriCaptures ?? null,
        this.upstream,
        arrival.target.path,
        arrival.target.rawQuery,
        arrival.host,
      );
    }
    return this.ctx;
  }

  private afterAccess(): void {
    if (this.stopped !== null) return;
    const exit = this.ctx?.exitResponse ?? null;
    if (exit !== null) this.sendExit(exit);
    else {
      const service = this.match?.service ?? null;
      // Kong checks for a service after the access phase: plugins of a service-less route run first
      if (service === null) this.sendExit(jsonExit(503, { message: PROXY_ERRORS.GW_NO_SERVICE.message }));
      else this.proxy(service);
    }
  }

  private pluginFailed(err: unknown, phase: string): void {
    this.state.logger.error("plugin failed", {
      phase,
      error: (err as Error)?.message,
      request_id: this.arrival.requestId,
    });
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    this.sendError("GW_INTERNAL");
  }

  // ---------------------------------------------------------------- upstream

  private proxy(service: GatewayService): void {
    const call = new UpstreamCall(
      this.state,
      this,
      service,
      this.snapshot!.balancers.forService(service) ?? null,
      {
        req: this.req,
        request: this.upstream!,
        ctx: this.ctx,
        client: this.upgradeOf?.socket ?? null,
        requestId: this.arrival.requestId,
      },
    );
    this.call = call;
    call.run();
  }

  hashable(cookiePath: string): HashableRequest {
    const { ctx, arrival } = this;
    return {
      headers: this.req.headers,
      clientIp: arrival.clientIp,
      target: arrival.target,
      consumerId: ctx?.consumer?.id ?? ctx?.credential?.id ?? null,
      uriCaptures: this.match?.uriCaptures ?? null,
      cookiePath,
    };
  }

  head(status: number, fields: string[]): boolean {
    this.status = status;
    this.pushGatewayHeaders(fields);
    const hashCookie = this.call!.generatedCookie;
    if (hashCookie !== null) fields.push("set-cookie", hashCookie.header);
    const ctx = this.ctx;
    if (ctx === null || !hasResponsePhase(this.plugins)) {
      // no plugin looks at or changes the response: the flat list goes out as it is
      if (ctx !== null) overrideHeaders(fields, ctx.downstreamHeaders);
      if (!this.clientGone) this.res.writeHead(status, fields);
      this.sentHeaders = fields;
      return true;
    }
    const head: ResponseHead = { status, headers: headerRecord(fields), source: "upstream" };
    for (const k in ctx.downstreamHeaders) head.headers[k] = ctx.downstreamHeaders[k]!;
    return runResponsePhases(ctx, this.plugins, head, true, {
      proceed: (bodyPlugins, async) => {
        if (bodyPlugins === null) this.writeHead(head);
        else this.buffering = { head, plugins: bodyPlugins, chunks: [] };
        if (async) this.call?.resume();
      },
      fail: (err) => {
        this.call?.abort(err as Error);
        this.pluginFailed(err, "responseHeaders");
      },
    });
  }

  private writeHead(head: ResponseHead): void {
    if (this.clientGone || this.res.headersSent) return;
    this.res.writeHead(head.status, head.headers);
    this.sentHeaders = head.headers;
  }

  chunk(chunk: Buffer): boolean {
    this.responseBytes += chunk.length;
    if (this.buffering !== null) {
      this.buffering.chunks.push(chunk);
      return true;
    }
    if (this.clientGone) return true;
    if (this.res.write(chunk)) return true;
    if (!this.pausedForDrain) {
      this.pausedForDrain = true;
      this.res.once("drain", () => {
        this.pausedForDrain = false;
        this.call?.resume();
      });
    }
    return false;
  }

  complete(): void {
    const buffering = this.buffering;
    if (buffering === null) {
      this.res.end();
      return;
    }
    this.buffering = null;
    const head = buffering.head;
    runResponseBody(this.ctx!, buffering.plugins, head, Buffer.concat(buffering.chunks)).then(
      (body) => {
        if (this.clientGone) return;
        head.headers["content-length"] = String(body.length);
        this.writeHead(head);
        this.res.end(this.req.method === "HEAD" ? undefined : body);
      },
      (err: unknown) => this.pluginFailed(err, "responseBody"),
    );
  }

  failed(code: ProxyErrorCode): void {
    // the response had started: nothing to answer with, cut the client connection
    if (this.status >= 200 || this.tunnelled) this.res.destroy();
    else this.sendError(code);
  }

  upgrade(status: number, fields: string[], socket: Duplex): void {
    this.tunnelled = true;
    this.status = status;
    this.pushGatewayHeaders(fields);
    const ctx = this.ctx;
    const head: ResponseHead = { status, headers: headerRecord(fields), source: "upstream" };
    if (ctx !== null) for (const k in ctx.downstreamHeaders) head.headers[k] = ctx.downstreamHeaders[k]!;
    const open = () => {
      openTunnel(this.upgradeOf!.socket, socket, head, this.upgradeOf!.head, () => {
        this.call?.release();
        this.finish(true);
      });
      this.sentHeaders = head.headers;
    };
    if (ctx === null || this.plugins.length === 0) {
      open();
      return;
    }
    runResponsePhases(ctx, this.plugins, head, false, {
      proceed: open,
      fail: (err) => {
        socket.destroy();
        this.pluginFailed(err, "responseHeaders");
      },
    });
  }

  /** Latency headers and the request id, added to every proxied response head. */
  private pushGatewayHeaders(list: string[]): void {
    const call = this.call!;
    list.push(
      "x-kong-upstream-latency",
      String(elapsedMs(call.startedAt, call.headersAt)),
      "x-kong-proxy-latency",
      String(elapsedMs(this.tStart, call.startedAt)),
      "x-kong-request-id",
      this.arrival.requestId,
    );
  }

  // ---------------------------------------------------------------- gateway answers

  /** Answer with Kong's error for a gateway failure (runs response phases of the request's plugins). */
  private sendError(code: ProxyErrorCode): void {
    const accept = this.req.headers.accept;
    this.sendExit(errorExit(code, this.arrival.requestId, typeof accept === "string" ? accept : undefined));
  }

  /** Plain http on an https-only route: 426, or the route's redirect to https. */
  private sendHttpsRequired(route: GatewayRoute, host: string): void {
    const forwardedHost = this.arrival.trusted ? this.req.headers["x-forwarded-host"] : undefined;
    const redirectHost = typeof forwardedHost === "string" && forwardedHost !== "" ? forwardedHost : host;
    // the request URI as received; of an absolute-form target, its path and query
    const { path, rawQuery, authority } = this.arrival.target;
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
    const call = this.call;
    if (call === null || call.tries === null) {
      // Kong: an answer of the gateway's own (no upstream was tried) has only its response latency
      headers["x-kong-response-latency"] = String(elapsedMs(this.tStart, now));
    } else {
      // the upstream was tried and failed: the proxied request's latencies
      headers["x-kong-upstream-latency"] = String(elapsedMs(call.startedAt, now));
      headers["x-kong-proxy-latency"] = String(elapsedMs(this.tStart, call.startedAt));
    }
    headers["x-kong-request-id"] = this.arrival.requestId;
    headers.server = SERVER_TOKEN;
    const head: ResponseHead = { status: exit.status, headers, source: "exit" };
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
    const failed = (err: unknown) => {
      this.state.logger.error("plugin failed", { phase: "exit response", error: (err as Error)?.message });
      finish(exit.body);
    };
    runResponsePhases(ctx, plugins, head, true, {
      proceed: (bodyPlugins) => {
        if (bodyPlugins === null) finish(exit.body);
        else runResponseBody(ctx, bodyPlugins, head, exit.body ?? Buffer.alloc(0)).then(finish, failed);
      },
      fail: failed,
    });
  }

  /**
   * The client's body stalled or trickled below the minimum rate (ClientBodyGuard): stop the
   * upstream call, answer 408 and close the connection (nginx's client_body_timeout).
   */
  private onClientBodyTimeout(): void {
    if (this.ended || this.clientGone || this.tunnelled) return;
    this.stopped = "body timeout";
    this.res.shouldKeepAlive = false;
    this.call?.cancel();
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
      this.stopped = "client gone";
      this.call?.cancel();
    }
    this.finish(completed);
  }

  private finish(completed: boolean): void {
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
    const { arrival, match, call } = this;
    return {
      req: this.req,
      res: this.res,
      requestId: arrival.requestId,
      protocol: arrival.protocol,
      target: arrival.target,
      status: this.status,
      responseBytes: this.responseBytes,
      responseHeaders: this.sentHeaders,
      clientIp: arrival.clientIp,
      route: match?.route ?? null,
      service: match?.service ?? null,
      consumer: this.ctx?.consumer ?? null,
      upstreamUri: call?.uri ?? "",
      redaction: logRedactionFor(this.snapshot?.config ?? null),
      tries: call?.tries ?? null,
      tStart: this.tStart,
      tUpstreamStart: call?.startedAt ?? 0,
      tUpstreamHeaders: call?.headersAt ?? 0,
      tEnd,
    };
  }
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

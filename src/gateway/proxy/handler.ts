import { type IncomingMessage, type Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { GatewayRoute, GatewayService } from "../config/types.js";
import type { RouteMatch } from "../router/types.js";
import type { GatewaySnapshot } from "../snapshot.js";
import { accessLogLine } from "./access-log.js";
import { errorExit, httpsRequiredExit, jsonExit } from "./answers.js";
import { type Arrival, arrive, contextOf, hashableOf, requestUriOf, upstreamRequestOf } from "./arrival.js";
import { countRequest, type ExitResponse, type ProxyContext } from "./context.js";
import { Downstream } from "./downstream.js";
import { PROXY_ERRORS, type ProxyErrorCode } from "./errors.js";
import type { HashableRequest } from "./hash-source.js";
import { accessLogFieldsFor, accessLogLineFor, type ExchangeRecord, logEntryFor } from "./log-entry.js";
import { logRedactionFor } from "./log-redaction.js";
import {
  hasLogPhase,
  hasResponsePhase,
  type PluginInstance,
  runAccessPhase,
  runLog,
  runResponseBody,
  runResponsePhases,
} from "./pipeline.js";
import { requestLineRefusal } from "./request-line.js";
import { hasBody, hostWithoutPort } from "./request-target.js";
import { exitHead, overrideHeaders, pushGatewayFields, upstreamHead } from "./response-head.js";
import type { ProxyState } from "./state.js";
import { openTunnel } from "./tunnel.js";
import { isWebSocketUpgrade, replayWithoutUpgrade } from "./upgrade.js";
import { UpstreamCall, type UpstreamReceiver } from "./upstream-call.js";
import type { PreparedUpstreamRequest } from "./upstream-request.js";

export type { ProxyState };

const NO_PLUGINS: readonly PluginInstance[] = [];
const noop = (): void => undefined;

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
  private readonly out: Downstream;
  /** the client's body timed out (ClientBodyGuard): the exchange answered 408 */
  private bodyTimedOut = false;
  private tunnelled = false;
  private ended = false;

  constructor(
    private readonly state: ProxyState,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly upgradeOf: { socket: Duplex; head: Buffer } | null,
  ) {
    this.arrival = arrive(state.realIp, req);
    this.out = new Downstream(res, req.method === "HEAD");
  }

  get tunnelling(): boolean {
    return this.tunnelled;
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
    this.upstream = upstreamRequestOf(this.req, this.arrival, match);
    const plan = snapshot.plugins.planFor(route);
    if (plan.empty) {
      this.afterAccess();
      return;
    }
    runAccessPhase(
      this.context(),
      plan,
      (plugins) => {
        this.plugins = plugins;
        this.afterAccess();
      },
      (err) => this.pluginFailed(err, "access"),
    );
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
      const { req, match, arrival } = this;
      if (this.upstream === null) this.upstream = upstreamRequestOf(req, arrival, match);
      this.ctx = contextOf(req, arrival, match, this.upstream, this.tStart);
    }
    return this.ctx;
  }

  private afterAccess(): void {
    if (this.out.gone || this.bodyTimedOut) return;
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
    return hashableOf(this.req, this.arrival, this.ctx, this.match, cookiePath);
  }

  head(status: number, fields: string[]): boolean {
    const call = this.call!;
    this.status = status;
    pushGatewayFields(fields, this.tStart, call, this.arrival.requestId);
    const hashCookie = call.generatedCookie;
    if (hashCookie !== null) fields.push("set-cookie", hashCookie.header);
    const ctx = this.ctx;
    if (ctx === null || !hasResponsePhase(this.plugins)) {
      // no plugin looks at or changes the response: the flat list goes out as it is
      if (ctx !== null) overrideHeaders(fields, ctx.downstreamHeaders);
      this.out.sendFields(status, fields);
      return true;
    }
    const head = upstreamHead(status, fields, ctx.downstreamHeaders);
    return runResponsePhases(ctx, this.plugins, head, true, {
      proceed: (bodyPlugins, async) => {
        if (bodyPlugins === null) this.out.writeHead(head);
        else this.out.collectFor(head, bodyPlugins);
        if (async) this.call?.resume();
      },
      fail: (err) => {
        this.call?.abort(err as Error);
        this.pluginFailed(err, "responseHeaders");
      },
    });
  }

  chunk(chunk: Buffer): boolean {
    return this.out.chunk(chunk, this.resumeCall);
  }

  private readonly resumeCall = (): void => this.call?.resume();

  complete(): void {
    this.out.complete(this.ctx, (err) => this.pluginFailed(err, "responseBody"));
  }

  failed(code: ProxyErrorCode): void {
    // the response had started: nothing to answer with, cut the client connection
    if (this.status >= 200 || this.tunnelled) this.res.destroy();
    else this.sendError(code);
  }

  upgrade(status: number, fields: string[], socket: Duplex): void {
    this.tunnelled = true;
    this.status = status;
    pushGatewayFields(fields, this.tStart, this.call!, this.arrival.requestId);
    const ctx = this.ctx;
    const head = upstreamHead(status, fields, ctx?.downstreamHeaders ?? null);
    const open = () => {
      openTunnel(this.upgradeOf!.socket, socket, head, this.upgradeOf!.head, () => {
        this.call?.release();
        this.finish(true);
      });
      this.out.sent = head.headers;
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
    this.sendExit(httpsRequiredExit(route, redirectHost, requestUriOf(this.req, this.arrival)));
  }

  private sendExit(exit: ExitResponse): void {
    if (this.out.gone || this.res.headersSent) return;
    this.status = exit.status;
    const { ctx, call } = this;
    const tried = call !== null && call.tries !== null ? call : null;
    const head = exitHead(exit, ctx?.downstreamHeaders ?? null, this.tStart, tried, this.arrival.requestId);
    const plugins = this.plugins;
    const finish = (body: Buffer | null) => this.out.answer(head, body);
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
    if (this.ended || this.out.gone || this.tunnelled) return;
    this.bodyTimedOut = true;
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
      this.out.gone = true;
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
    const trace = ctx?.trace ?? null;
    if (trace?.sampled) {
      // the redacted URI only for a trace that records it (an unsampled one only propagates)
      const uri = logRedactionFor(this.snapshot?.config ?? null).target(this.req.url ?? "/");
      trace.finished({ status: this.status, uri, end: tEnd });
    }
    const logPhase = ctx !== null && plugins.length > 0 && hasLogPhase(plugins);
    const accessLog = this.state.accessLog;
    const observer = this.state.accessObserver;
    if (logPhase || accessLog !== null || observer !== null) {
      const record = this.record(tEnd);
      if (logPhase) runLog(ctx, plugins, logEntryFor(record), this.state.logger);
      if (observer === null) {
        if (accessLog !== null) accessLog.write(accessLogLineFor(record));
      } else {
        const fields = accessLogFieldsFor(record);
        if (accessLog !== null) accessLog.write(accessLogLine(fields));
        observer(fields, record.route?.id ?? null, record.consumer?.id ?? null);
      }
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
      responseBytes: this.out.bytes,
      responseHeaders: this.out.sent,
      clientIp: arrival.clientIp,
      route: match?.route ?? null,
      service: match?.service ?? null,
      consumer: this.ctx?.consumer ?? null,
      credential: this.ctx?.credential ?? null,
      upstreamUri: call?.uri ?? "",
      redaction: logRedactionFor(this.snapshot?.config ?? null),
      // Kong's balancer_data exists once a route matched: tries is [] for an answer given without proxying
      tries: call?.tries ?? (match === null ? null : []),
      traceId: this.ctx?.trace?.traceId ?? null,
      tStart: this.tStart,
      tUpstreamStart: call?.startedAt ?? 0,
      tUpstreamHeaders: call?.headersAt ?? 0,
      tEnd,
    };
  }
}

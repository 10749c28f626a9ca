import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Dispatcher } from "undici";
import type { Peer, UpstreamBalancer } from "../balancer/index.js";
import { hostHeaderFor } from "../balancer/index.js";
import type { GatewayService } from "../config/types.js";
import { ClientAbortError, UpstreamTimeoutError } from "../errors.js";
import type { GatewayLogger } from "../plugins/types.js";
import { dispatchToTarget, type UpstreamPools } from "../transport/dispatch.js";
import { appendVia } from "./constants.js";
import type { ProxyContext } from "./context.js";
import { classifyUpstreamError, type ProxyErrorCode } from "./errors.js";
import { type HashableRequest, RequestHashSource } from "./hash-source.js";
import { rawHeadersWithoutHopByHop } from "./hop-by-hop.js";
import { hasBody } from "./request-target.js";
import { switchingProtocolsFields } from "./tunnel.js";
import type { PreparedUpstreamRequest } from "./upstream-request.js";

/**
 * The upstream side of one exchange (Caddy's proxy loop, undici's RetryHandler): it picks a
 * peer, makes one attempt per turn of an explicit loop, decides in one place (`tryAgain`)
 * whether a failed attempt is tried again on another peer, runs the connect/read/write
 * timers, is undici's handler for the attempt under way and releases the peer. What comes
 * back goes to the exchange through `UpstreamReceiver` and nothing else.
 */

/** What the exchange hears from its upstream call. */
export interface UpstreamReceiver {
  /** consistent hashing's view of the request (asked once, if the balancer hashes) */
  hashable(cookiePath: string): HashableRequest;
  /** the response head, hop-by-hop fields removed, Via added; false: paused until `resume()` */
  head(status: number, fields: string[]): boolean;
  /** a body chunk; false: paused until `resume()` (backpressure) */
  chunk(chunk: Buffer): boolean;
  /** the response body is complete */
  complete(): void;
  /**
   * The call gave up: no attempt got an answer, or the answer broke off after its head (the
   * receiver knows whether it already answered). `code` is the gateway's stable error code.
   */
  failed(code: ProxyErrorCode): void;
  /** a `101` (fields as the client gets them): the upstream socket is the receiver's now */
  upgrade(status: number, fields: string[], socket: Duplex): void;
}

/** The request the call carries upstream. */
export interface UpstreamCallInput {
  readonly req: IncomingMessage;
  readonly request: PreparedUpstreamRequest;
  /** the plugin context, if any: a body buffered by a plugin is sent instead of the stream */
  readonly ctx: ProxyContext | null;
  /** the client's socket of an `Upgrade: websocket` request */
  readonly client: Duplex | null;
  readonly requestId: string;
}

export interface UpstreamCallDeps {
  readonly pools: UpstreamPools;
  readonly logger: GatewayLogger;
}

/** What a failed attempt leaves for the retry decision (read when it failed). */
interface AttemptFailure {
  readonly error: Error;
  /** undici's onConnect ran: the request was (being) written */
  readonly connected: boolean;
  /** the request body can be sent again */
  readonly replayable: boolean;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]);
/**
 * undici's header/body timers tick at ~1 s resolution; read timeouts shorter than this get a
 * precise timer of our own (refreshed on every chunk) on top.
 */
const PRECISE_READ_TIMEOUT_BELOW_MS = 5000;

export class UpstreamCall implements Dispatcher.DispatchHandler {
  /** performance.now() when the first attempt was prepared, and when a response head arrived */
  readonly startedAt = performance.now();
  headersAt = 0;
  /** every peer tried, in order (null until one was picked) */
  tries: Array<{ ip: string; port: number }> | null = null;
  /** the request target as sent upstream */
  uri = "";
  private readonly timers = new AttemptTimers();
  private peer: Peer | null = null;
  /** when the attempt under way was dispatched (performance.now(), ms) */
  private attemptStartedAt = 0;
  /** the balancer counts `peer` as busy until release() (least-connections): released once per attempt */
  private holdingPeer = false;
  private abortAttempt: ((err?: Error) => void) | null = null;
  private resumeAttempt: (() => void) | null = null;
  /** the attempt under way reached a connected socket (undici's onConnect ran) */
  private connected = false;
  /** a response head (or a 101) was handed to the receiver: no more attempts */
  private responded = false;
  private done = false;
  /** the exchange gave up on the call (client gone, client body timeout): callbacks are ignored */
  private cancelled = false;
  /** ends the attempt under way for the loop: null (answered, or nothing more to do) or a failure */
  private settle: ((failure: AttemptFailure | null) => void) | null = null;
  /** consistent hashing's view of the request (one per call: a made-up cookie stays the same across retries) */
  private hashing: RequestHashSource | null = null;

  constructor(
    private readonly deps: UpstreamCallDeps,
    private readonly receiver: UpstreamReceiver,
    private readonly service: GatewayService,
    private readonly balancer: UpstreamBalancer | null,
    private readonly input: UpstreamCallInput,
  ) {}

  /** The cookie consistent hashing made up for this client (its Set-Cookie goes on the response). */
  get generatedCookie(): { value: string; header: string } | null {
    return this.hashing?.generatedCookie ?? null;
  }

  /** Start the attempts; the first one is dispatched before this returns. */
  run(): void {
    this.loop().catch((err: unknown) => {
      this.deps.logger.error("upstream call failed", {
        error: (err as Error)?.message,
        request_id: this.input.requestId,
      });
      if (!this.responded && !this.cancelled) this.receiver.failed("GW_INTERNAL");
    });
  }

  /** The retry loop: one attempt per turn, until one answers or `tryAgain` says no. */
  private async loop(): Promise<void> {
    const balancer = this.balancer;
    if (balancer === null) {
      this.receiver.failed("GW_NO_PEER");
      return;
    }
    let tried: Set<Peer> | null = null;
    for (let retries = 0; ; retries++) {
      const peer = this.select(balancer, tried);
      if (peer === null) {
        this.receiver.failed(
          balancer.peers.length === 0 && balancer.hasDnsTargets ? "GW_DNS_FAILED" : "GW_NO_PEER",
        );
        return;
      }
      const failure = await this.attempt(balancer, peer);
      if (failure === null || this.cancelled) return;
      if (!this.tryAgain(failure, retries)) {
        const err = failure.error;
        this.deps.logger.warn("upstream request failed", {
          request_id: this.input.requestId,
          upstream: peer.key,
          error: err.message,
          code: (err as { code?: string }).code,
        });
        this.receiver.failed(classifyUpstreamError(err).code);
        return;
      }
      if (tried === null) tried = new Set();
      tried.add(peer);
    }
  }

  /**
   * THE decision to try again (on another peer when there is one). Only connection failures
   * are retried, within the service's `retries`. An error before undici's onConnect
   * (refused, unreachable, connect timeout…) means the upstream never saw the request, so
   * any method may be retried; after it only idempotent ones — and only while the body can
   * be sent again.
   */
  private tryAgain(failure: AttemptFailure, retries: number): boolean {
    if (retries >= this.service.retries || !failure.replayable) return false;
    if (!classifyUpstreamError(failure.error).retryable) return false;
    return !failure.connected || IDEMPOTENT.has(this.input.request.method);
  }

  private select(balancer: UpstreamBalancer, tried: ReadonlySet<Peer> | null): Peer | null {
    const hash = balancer.upstream.algorithm === "consistent-hashing" ? this.hashSource(balancer) : null;
    const peer = balancer.select(hash, tried);
    return peer === null && tried !== null ? balancer.select(hash, null) : peer;
  }

  /** One attempt: resolves with its failure, or null once it answered (or was given up). */
  private attempt(balancer: UpstreamBalancer, peer: Peer): Promise<AttemptFailure | null> {
    return new Promise((settle) => {
      this.settle = settle;
      this.peer = peer;
      this.attemptStartedAt = performance.now();
      this.holdingPeer = true;
      this.connected = false;
      this.abortAttempt = null;
      if (this.tries === null) this.tries = [];
      this.tries.push({ ip: peer.ip, port: peer.port });
      this.input.ctx?.trace?.attemptStarted(peer.ip, peer.port, peer.hostname);
      const { req, request: up, ctx } = this.input;
      const service = this.service;
      const protocol = protocolOf(service);
      const headers = up.headers;
      if (headers.host === undefined) {
        headers.host = balancer.upstream.host_header ?? hostHeaderFor(peer.hostname, peer.port, protocol);
      }
      this.uri = up.target();
      let body: IncomingMessage | Buffer | null = null;
      const buffered = ctx?.request.buffered ?? null;
      if (up.body !== undefined) {
        body = up.body;
        headers["content-length"] = String(up.body.length);
      } else if (buffered !== null) {
        body = buffered;
        headers["content-length"] = String(buffered.length);
      } else if (hasBody(req)) {
        body = req;
        this.timers.startWrite(req, service.write_timeout, this.abortOnTimeout);
      }
      if (service.read_timeout < PRECISE_READ_TIMEOUT_BELOW_MS) {
        this.timers.startRead(service.read_timeout, this.abortOnTimeout);
      }
      try {
        dispatchToTarget(
          this.deps.pools,
          { host: peer.ip, port: peer.port, protocol, servername: peer.hostname },
          {
            method: up.method,
            path: this.uri,
            headers,
            body,
            connectTimeout: service.connect_timeout,
            headersTimeout: service.read_timeout,
            bodyTimeout: service.read_timeout,
            upgrade: this.input.client === null ? null : String(req.headers.upgrade ?? "websocket"),
          },
          this,
          peer,
        );
      } catch (err) {
        this.timers.clear();
        this.deps.logger.error("dispatch failed", { error: (err as Error).message });
        this.release();
        this.finishAttempt(null);
        this.receiver.failed("GW_INTERNAL");
      }
    });
  }

  private readonly abortOnTimeout = (err: Error): void => {
    this.abortAttempt?.(err);
  };

  private finishAttempt(failure: AttemptFailure | null): void {
    const settle = this.settle;
    this.settle = null;
    settle?.(failure);
  }

  /** Let the paused attempt go on (the client drained, an async header phase finished). */
  resume(): void {
    this.resumeAttempt?.();
  }

  /** Stop the attempt under way (a plugin failed on its response). */
  abort(err: Error): void {
    this.abortAttempt?.(err);
  }

  /** The exchange gives up on the call: stop the attempt under way, ignore what it still reports. */
  cancel(): void {
    this.cancelled = true;
    this.timers.clear();
    if (this.abortAttempt !== null && !this.done) this.abortAttempt(new ClientAbortError());
    this.finishAttempt(null);
  }

  /** Give the attempt's peer back to the balancer (least-connections counts); a second call does nothing. */
  release(): void {
    if (!this.holdingPeer) return;
    this.holdingPeer = false;
    if (this.peer !== null && this.balancer !== null) this.balancer.release(this.peer);
  }

  /** The attempt's connect + response time, for the latency algorithm (Kong's upstream times). */
  private observeLatency(): void {
    if (this.peer !== null && this.balancer !== null) {
      this.balancer.observe(this.peer, (performance.now() - this.attemptStartedAt) / 1000);
    }
  }

  private hashSource(balancer: UpstreamBalancer): RequestHashSource {
    if (this.hashing === null) {
      this.hashing = new RequestHashSource(
        this.receiver.hashable(balancer.upstream.hash_on_cookie_path ?? "/"),
      );
    }
    return this.hashing;
  }

  // undici core handler interface --------------------------------------------

  onConnect(abort: (err?: Error) => void): void {
    this.connected = true;
    this.abortAttempt = abort;
    if (this.cancelled) abort(new ClientAbortError());
  }

  /** undici: a chunk of the request body was written to the upstream socket. */
  onBodySent(): void {
    this.timers.refreshWrite();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx informational: not relayed
    if (this.cancelled) return false;
    this.timers.headArrived();
    this.resumeAttempt = resume;
    this.headersAt = performance.now();
    this.responded = true;
    this.input.ctx?.trace?.attemptEnded(statusCode, null);
    this.finishAttempt(null);
    if (this.peer !== null) this.balancer?.report(this.peer, { kind: "status", status: statusCode });
    const { list, via } = rawHeadersWithoutHopByHop(rawHeaders);
    list.push("via", appendVia(via));
    return this.receiver.head(statusCode, list);
  }

  onData(chunk: Buffer): boolean {
    if (!this.responded || this.cancelled) return true;
    this.timers.refreshRead();
    return this.receiver.chunk(chunk);
  }

  onComplete(): void {
    this.timers.clear();
    this.done = true;
    this.observeLatency();
    this.release();
    if (this.cancelled) return;
    this.receiver.complete();
  }

  onError(err: Error): void {
    this.timers.clear();
    const peer = this.peer;
    this.release();
    if (this.cancelled) return;
    const info = classifyUpstreamError(err);
    // a timeout is a response time too (a refused connection is the health checks' business)
    if (info.timeout) this.observeLatency();
    if (peer !== null)
      this.balancer?.report(peer, info.timeout ? { kind: "timeout" } : { kind: "tcp_failure" });
    if (this.responded) {
      this.receiver.failed(info.code);
      return;
    }
    const req = this.input.req;
    this.input.ctx?.trace?.attemptEnded(0, err.message);
    this.finishAttempt({
      error: err,
      connected: this.connected,
      replayable: this.input.request.body !== undefined || !hasBody(req) || !req.readableDidRead,
    });
  }

  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: Duplex): void {
    this.timers.clear();
    const client = this.input.client;
    if (client === null || this.cancelled || client.destroyed) {
      socket.destroy();
      this.release();
      this.finishAttempt(null);
      return;
    }
    this.responded = true;
    this.input.ctx?.trace?.attemptEnded(statusCode, null);
    this.finishAttempt(null);
    this.headersAt = performance.now();
    if (this.peer !== null) this.balancer?.report(this.peer, { kind: "status", status: statusCode });
    this.receiver.upgrade(statusCode, switchingProtocolsFields(rawHeaders), socket);
  }
}

/**
 * The read timer (Kong's read_timeout, precise below undici's ~1 s ticks; refreshed on every
 * chunk) and the write timer (Kong's write_timeout while the client body streams upstream,
 * refreshed per chunk sent). undici runs the connect timer.
 */
class AttemptTimers {
  private read: NodeJS.Timeout | null = null;
  private write: NodeJS.Timeout | null = null;
  private watchingBodyEnd = false;

  startRead(timeoutMs: number, onTimeout: (err: Error) => void): void {
    this.clearRead();
    this.read = setTimeout(() => {
      this.read = null;
      onTimeout(new UpstreamTimeoutError("read"));
    }, timeoutMs);
  }

  startWrite(req: IncomingMessage, timeoutMs: number, onTimeout: (err: Error) => void): void {
    this.clearWrite();
    if (timeoutMs <= 0 || req.readableEnded) return;
    this.write = setTimeout(() => {
      this.write = null;
      onTimeout(new UpstreamTimeoutError("write"));
    }, timeoutMs);
    // the whole body went out: from here on only the read timeout applies
    if (!this.watchingBodyEnd) {
      this.watchingBodyEnd = true;
      req.once("end", () => this.clearWrite());
    }
  }

  refreshRead(): void {
    this.read?.refresh();
  }

  refreshWrite(): void {
    this.write?.refresh();
  }

  /** A response head arrived: the read timer starts over, the write timer is done. */
  headArrived(): void {
    this.read?.refresh();
    this.clearWrite();
  }

  clear(): void {
    this.clearRead();
    this.clearWrite();
  }

  private clearRead(): void {
    if (this.read !== null) {
      clearTimeout(this.read);
      this.read = null;
    }
  }

  private clearWrite(): void {
    if (this.write !== null) {
      clearTimeout(this.write);
      this.write = null;
    }
  }
}

function protocolOf(service: GatewayService): "http" | "https" {
  return service.protocol === "https" || service.protocol === "wss" || service.protocol === "grpcs"
    ? "https"
    : "http";
}

import { isIP } from "node:net";
import type { Duplex, Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { Pool } from "./undici-pool.js";

/**
 * THE core primitive for talking to upstreams: a dispatch to one target through an undici
 * Pool kept per (origin, connect timeout) — keep-alive, capped connections. The transport
 * sits below proxy/, balancer/ and plugins/ and imports none of them: the proxy's upstream
 * attempts (proxy/upstream-call.ts), active health checks (balancer/) and the http-log
 * plugin's requests all go through here.
 */

export interface DispatchTarget {
  /** IP address or host name to connect to */
  host: string;
  port: number;
  protocol: "http" | "https";
  /** TLS server name (SNI) for https targets: the target's host name when `host` is an address */
  servername?: string;
}

export interface TargetRequest {
  method: string;
  /** path + query */
  path: string;
  headers: Record<string, string | string[]> | string[];
  body?: Readable | Buffer | string | null;
  /** ms; Kong's connect_timeout */
  connectTimeout: number;
  /** ms to wait for the response head (Kong's read_timeout) */
  headersTimeout: number;
  /** ms between two body chunks (Kong's read_timeout) */
  bodyTimeout: number;
  /** `websocket` to ask for an upgrade */
  upgrade?: string | null;
  /** close the connection after this request instead of keeping it alive */
  reset?: boolean;
}

export type TargetHandler = Dispatcher.DispatchHandler;

export interface PoolOptions {
  /** max concurrent connections per target (default 256) */
  connectionsPerTarget?: number;
  /** idle keep-alive time of upstream connections, ms (default 60 s; upstream hints may shorten it) */
  keepAliveTimeout?: number;
}

/** One pool and what it connects to; a balancer peer remembers its entry (PoolHolder). */
export interface PoolEntry {
  readonly pool: Pool;
  readonly host: string;
  readonly port: number;
  readonly protocol: "http" | "https";
  readonly sni: string;
  readonly connectTimeout: number;
  /** dispatched to since the last sweep */
  used: boolean;
  /** performance.now() of the sweep that first found it unused */
  idleSince: number;
  closed: boolean;
}

/** Something that remembers the pool it last used (a balancer peer): no key is built per request. */
export interface PoolHolder {
  poolEntry?: PoolEntry;
}

const SWEEP_EVERY_MS = 60_000;

export class UpstreamPools {
  private readonly pools = new Map<string, PoolEntry>();
  private readonly connections: number;
  private readonly keepAliveTimeout: number;
  private sweeper: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: PoolOptions = {}) {
    this.connections = options.connectionsPerTarget ?? 256;
    this.keepAliveTimeout = options.keepAliveTimeout ?? 60_000;
  }

  /** The pool for a target (created on first use). */
  get(target: DispatchTarget, connectTimeout: number): Pool {
    return this.entry(target, connectTimeout).pool;
  }

  /** The pool entry for a target; `holder` (a peer) caches it between requests. */
  entry(target: DispatchTarget, connectTimeout: number, holder?: PoolHolder): PoolEntry {
    const sni = target.protocol === "https" ? (target.servername ?? "") : "";
    const cached = holder?.poolEntry;
    if (
      cached !== undefined &&
      !cached.closed &&
      cached.connectTimeout === connectTimeout &&
      cached.port === target.port &&
      cached.host === target.host &&
      cached.protocol === target.protocol &&
      cached.sni === sni
    ) {
      return cached;
    }
    const key = `${target.protocol}://${target.host}:${target.port}|${connectTimeout}|${sni}`;
    let entry = this.pools.get(key);
    if (entry === undefined) {
      if (this.closed) throw new Error("upstream pools are closed");
      const host = target.host.includes(":") ? `[${target.host}]` : target.host;
      const pool = new Pool(`${target.protocol}://${host}:${target.port}`, {
        connections: this.connections,
        pipelining: 1,
        keepAliveTimeout: this.keepAliveTimeout,
        keepAliveMaxTimeout: 10 * 60_000,
        // Kong does not verify upstream certificates unless told to (tls_verify); SNI is the target name
        connect: {
          timeout: connectTimeout,
          rejectUnauthorized: false,
          ...(sni !== "" && isIP(sni) === 0 ? { servername: sni } : {}),
        },
      });
      entry = {
        pool,
        host: target.host,
        port: target.port,
        protocol: target.protocol,
        sni,
        connectTimeout,
        used: true,
        idleSince: 0,
        closed: false,
      };
      this.pools.set(key, entry);
      this.startSweeper();
    }
    if (holder !== undefined) holder.poolEntry = entry;
    return entry;
  }

  /**
   * Close pools unused for longer than `idleMs` (targets gone after a config swap or a DNS
   * change): each sweep clears the `used` marks; a pool found unmarked, idle since then
   * and without requests is closed.
   */
  sweep(idleMs = 5 * 60_000): void {
    const now = performance.now();
    for (const [key, entry] of this.pools) {
      if (entry.used) {
        entry.used = false;
        entry.idleSince = now;
        continue;
      }
      const stats = entry.pool.stats;
      if (now - entry.idleSince >= idleMs && stats.pending === 0 && stats.running === 0) {
        this.pools.delete(key);
        entry.closed = true;
        entry.pool.close().catch(() => undefined);
      }
    }
  }

  get size(): number {
    return this.pools.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper !== null) clearInterval(this.sweeper);
    const all = [...this.pools.values()];
    this.pools.clear();
    for (const e of all) e.closed = true;
    await Promise.all(all.map((e) => e.pool.destroy().catch(() => undefined)));
  }

  private startSweeper(): void {
    if (this.sweeper !== null) return;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }
}

/** Dispatch one request to one target. All upstream traffic goes through here. */
export function dispatchToTarget(
  pools: UpstreamPools,
  target: DispatchTarget,
  request: TargetRequest,
  handler: TargetHandler,
  holder?: PoolHolder,
): void {
  const entry = pools.entry(target, request.connectTimeout, holder);
  entry.used = true;
  entry.pool.dispatch(
    {
      method: request.method,
      path: request.path,
      headers: request.headers,
      body: request.body ?? null,
      headersTimeout: request.headersTimeout,
      bodyTimeout: request.bodyTimeout,
      upgrade: request.upgrade ?? null,
      reset: request.reset ?? false,
    },
    handler,
  );
}

/** Result of a small buffered request (health checks). */
export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Thin wrapper: a buffered request (bounded body) for health probes. */
export function requestTarget(
  pools: UpstreamPools,
  target: DispatchTarget,
  request: TargetRequest,
  maxBody = 64 * 1024,
): Promise<SimpleResponse> {
  return bufferedRequest((handler) => dispatchToTarget(pools, target, request, handler), maxBody);
}

/**
 * A buffered request over any undici dispatcher (the http-log plugin's own pool): undici's
 * `request()` API is not loaded with the bare Pool (transport/undici-pool.ts).
 */
export function requestOn(
  dispatcher: Pick<Dispatcher, "dispatch">,
  request: Dispatcher.DispatchOptions,
  maxBody = 64 * 1024,
): Promise<SimpleResponse> {
  return bufferedRequest((handler) => dispatcher.dispatch(request, handler), maxBody);
}

function bufferedRequest(
  dispatch: (handler: TargetHandler) => void,
  maxBody: number,
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    let size = 0;
    dispatch({
      onRequestStart() {},
      onResponseStart(_c, statusCode, h) {
        status = statusCode;
        headers = h;
      },
      onResponseData(_c, chunk) {
        if (size < maxBody) {
          chunks.push(chunk);
          size += chunk.length;
        }
      },
      onResponseEnd() {
        resolve({ status, headers, body: Buffer.concat(chunks) });
      },
      onResponseError(_c, err) {
        reject(err);
      },
    });
  });
}

/** Thin wrapper: an upgrade request (WebSocket); resolves with the upstream socket. */
export function upgradeTarget(
  pools: UpstreamPools,
  target: DispatchTarget,
  request: TargetRequest,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; socket: Duplex }> {
  return new Promise((resolve, reject) => {
    dispatchToTarget(pools, target, request, {
      onRequestStart() {},
      onRequestUpgrade(_c, status, headers, socket) {
        resolve({ status, headers, socket });
      },
      onResponseError(_c, err) {
        reject(err);
      },
    });
  });
}

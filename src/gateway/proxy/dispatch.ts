import { isIP } from "node:net";
import type { Duplex, Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { Pool } from "undici";

/**
 * THE core primitive for talking to upstreams: a dispatch to one target through an undici
 * Pool kept per (origin, connect timeout) — keep-alive, capped connections. Proxying
 * (proxy/forward.ts), WebSocket tunnelling (proxy/websocket.ts) and active health checks
 * (balancer/health.ts) are thin wrappers over `dispatchToTarget`.
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

export class UpstreamPools {
  private readonly pools = new Map<string, { pool: Pool; lastUsed: number }>();
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
    const sni = target.protocol === "https" ? (target.servername ?? "") : "";
    const key = `${target.protocol}://${target.host}:${target.port}|${connectTimeout}|${sni}`;
    const entry = this.pools.get(key);
    if (entry !== undefined) {
      entry.lastUsed = performance.now();
      return entry.pool;
    }
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
    this.pools.set(key, { pool, lastUsed: performance.now() });
    this.startSweeper();
    return pool;
  }

  /** Close pools idle for longer than `idleMs` (targets gone after a config swap or DNS change). */
  sweep(idleMs = 5 * 60_000): void {
    const now = performance.now();
    for (const [key, entry] of this.pools) {
      const stats = entry.pool.stats;
      if (now - entry.lastUsed > idleMs && stats.pending === 0 && stats.running === 0) {
        this.pools.delete(key);
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
    await Promise.all(all.map((e) => e.pool.destroy().catch(() => undefined)));
  }

  private startSweeper(): void {
    if (this.sweeper !== null) return;
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }
}

/** Dispatch one request to one target. All upstream traffic goes through here. */
export function dispatchToTarget(
  pools: UpstreamPools,
  target: DispatchTarget,
  request: TargetRequest,
  handler: TargetHandler,
): void {
  const pool = pools.get(target, request.connectTimeout);
  pool.dispatch(
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
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    let size = 0;
    dispatchToTarget(pools, target, request, {
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

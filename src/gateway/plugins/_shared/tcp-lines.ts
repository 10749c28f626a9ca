/**
 * A TCP (optionally TLS) connection that log lines are written to without ever blocking a
 * request (tcp-log, syslog over TCP, statsd's use_tcp): `send` only appends to the socket's
 * buffer — connecting first when no connection is open — and returns. The connection is kept
 * open and reused (Kong's cosocket keepalive pool) until it has been idle for `keepaliveMs`;
 * a failure to connect, a TLS handshake error or a connect/send slower than `timeoutMs` drops
 * what was waiting and is logged (throttled); the next line opens a new connection. Pending
 * output is bounded: beyond MAX_PENDING_BYTES new lines are dropped with a warning.
 */
import { isIP, connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { GatewayLogger } from "../types.js";

/** Most bytes waiting for a slow or unreachable receiver before new lines are dropped. */
export const MAX_PENDING_BYTES = 8 * 1024 * 1024;
const WARN_EVERY_MS = 5000;

export interface TcpLinesOptions {
  host: string;
  port: number;
  /** connect (and TLS handshake) and send timeout, ms */
  timeoutMs: number;
  /** how long an idle connection stays open, ms */
  keepaliveMs: number;
  tls: boolean;
  /** SNI of the TLS handshake (default: the host when it is a name) */
  tlsSni?: string | null;
  /** the plugin, for log messages */
  name: string;
}

export class TcpLines {
  private socket: Socket | null = null;
  private connected = false;
  private pending: string[] = [];
  private pendingBytes = 0;
  private connectTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastWarn = 0;
  /** lines dropped (unreachable receiver, full buffer) */
  dropped = 0;
  /** connections opened so far (tests: keepalive reuse) */
  connections = 0;

  constructor(
    private readonly opts: TcpLinesOptions,
    private readonly logger: GatewayLogger,
  ) {}

  /** Queue one line (its terminator included); never blocks, never throws. */
  send(line: string): void {
    if (this.closed) return;
    const socket = this.socket;
    if (socket !== null && this.connected) {
      if (socket.writableLength > MAX_PENDING_BYTES) {
        this.drop(1, "receiver too slow, log entries dropped");
        return;
      }
      socket.write(line);
      return;
    }
    if (this.pendingBytes + line.length > MAX_PENDING_BYTES) {
      this.drop(1, "receiver unreachable, log entries dropped");
      return;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (socket === null) this.open();
  }

  /** Send what is waiting (bounded by the send timeout), then close the connection. */
  async close(): Promise<void> {
    this.closed = true;
    const socket = this.socket;
    if (socket === null) return;
    if (!this.connected) {
      socket.destroy();
      return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        socket.destroy();
        resolve();
      }, this.opts.timeoutMs);
      t.unref();
      socket.once("close", () => {
        clearTimeout(t);
        resolve();
      });
      socket.end();
    });
  }

  private open(): void {
    const { host, port, tls, tlsSni, timeoutMs, keepaliveMs } = this.opts;
    this.connections++;
    const socket = tls
      ? tlsConnect({
          host,
          port,
          // Kong's tcp-log: sslhandshake(false, tls_sni, false) — the certificate is not verified
          rejectUnauthorized: false,
          servername: tlsSni ?? (isIP(host) === 0 ? host : undefined),
        })
      : netConnect({ host, port });
    this.socket = socket;
    this.connected = false;
    this.connectTimer = setTimeout(() => {
      socket.destroy(new Error(`timeout after ${timeoutMs} ms`));
    }, timeoutMs);
    this.connectTimer.unref();
    socket.once(tls ? "secureConnect" : "connect", () => {
      this.clearConnectTimer();
      this.connected = true;
      socket.setNoDelay(true);
      // idle for keepaliveMs: close; a write stuck for longer than that is given up too
      socket.setTimeout(Math.max(1, keepaliveMs));
      const waiting = this.pending.join("");
      this.pending = [];
      this.pendingBytes = 0;
      if (waiting !== "") socket.write(waiting);
    });
    socket.on("timeout", () => {
      if (socket.writableLength > 0) socket.destroy(new Error("send timeout"));
      else socket.end();
    });
    socket.on("error", (err) => {
      const what = this.connected ? "failed to send data to" : "failed to connect to";
      this.drop(this.pending.length, `${what} ${host}:${port}: ${err.message}`);
      this.pending = [];
      this.pendingBytes = 0;
    });
    socket.once("close", () => {
      this.clearConnectTimer();
      if (this.socket === socket) {
        this.socket = null;
        this.connected = false;
        // lines that arrived while this connection was going away get a new one
        if (this.pending.length > 0 && !this.closed) this.open();
      }
    });
    socket.unref();
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) {
      clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
  }

  private drop(lines: number, message: string): void {
    this.dropped += lines;
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    this.logger.error(`${this.opts.name}: ${message}`, { dropped: this.dropped });
  }
}

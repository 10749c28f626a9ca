import type { IncomingMessage } from "node:http";

/**
 * Request bodies that trickle must end (slowloris on the body). Two limits, checked while the
 * gateway is waiting for the client — not while the client waits for us (a body whose bytes
 * sit unread in the request stream because the upstream or a plugin is slow is not counted):
 *  - `timeoutMs`, Kong's (nginx's) `client_body_timeout`: no body byte for that long;
 *  - `minBytesPerSecond`: after `graceMs`, the bytes received so far divided by the time spent
 *    waiting fall below it (Kestrel's MinRequestBodyDataRate: 240 B/s after a 5 s grace).
 * Either answers 408 and closes the connection (the exchange does that on `onTimeout`).
 *
 * One interval timer serves every watched request (like Node's own connectionsCheckingInterval);
 * progress is read from the socket's byte counter, so watching adds no listener to the body
 * stream and never changes its flowing mode.
 */
export interface ClientBodyLimits {
  /** no progress for this long → 408 (default 60000; 0 disables) */
  timeoutMs: number;
  /** below this average rate after the grace period → 408 (default 240; 0 disables) */
  minBytesPerSecond: number;
  /** how long a body may start slowly before the rate counts (default 5000) */
  graceMs: number;
}

export const DEFAULT_CLIENT_BODY_LIMITS: ClientBodyLimits = {
  timeoutMs: 60_000,
  minBytesPerSecond: 240,
  graceMs: 5_000,
};

export type ClientBodyTimeoutReason = "timeout" | "min_rate";

interface Watch {
  readonly req: IncomingMessage;
  readonly onTimeout: (reason: ClientBodyTimeoutReason) => void;
  /** socket.bytesRead when the watch started (the request head was already read) */
  readonly startBytes: number;
  lastBytes: number;
  /** time spent waiting for the client, and since its last byte */
  waitingMs: number;
  idleMs: number;
  lastTick: number;
}

export class ClientBodyGuard {
  private readonly watched = new Map<IncomingMessage, Watch>();
  private timer: NodeJS.Timeout | null = null;
  private readonly tickMs: number;

  constructor(readonly limits: ClientBodyLimits = DEFAULT_CLIENT_BODY_LIMITS) {
    const shortest = Math.min(
      limits.timeoutMs > 0 ? limits.timeoutMs : Number.POSITIVE_INFINITY,
      limits.minBytesPerSecond > 0 ? Math.max(limits.graceMs, 1) : Number.POSITIVE_INFINITY,
    );
    this.tickMs = Math.max(25, Math.min(1000, Math.floor(shortest / 4)));
  }

  get enabled(): boolean {
    return this.limits.timeoutMs > 0 || this.limits.minBytesPerSecond > 0;
  }

  /** Watch a request whose body is still arriving; `onTimeout` runs at most once. */
  watch(req: IncomingMessage, onTimeout: (reason: ClientBodyTimeoutReason) => void): void {
    if (!this.enabled || req.complete) return;
    const bytes = req.socket.bytesRead;
    this.watched.set(req, {
      req,
      onTimeout,
      startBytes: bytes,
      lastBytes: bytes,
      waitingMs: 0,
      idleMs: 0,
      lastTick: performance.now(),
    });
    if (this.timer === null) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
  }

  /** Stop watching (the exchange ended); the timer stops at its next tick once nothing is watched. */
  unwatch(req: IncomingMessage): void {
    this.watched.delete(req);
  }

  close(): void {
    this.watched.clear();
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private tick(): void {
    if (this.watched.size === 0) {
      this.stopTimer();
      return;
    }
    const now = performance.now();
    const { timeoutMs, minBytesPerSecond, graceMs } = this.limits;
    for (const w of this.watched.values()) {
      const req = w.req;
      if (req.complete || req.destroyed) {
        this.unwatch(req);
        continue;
      }
      const elapsed = now - w.lastTick;
      w.lastTick = now;
      const bytes = req.socket.bytesRead;
      const progressed = bytes > w.lastBytes;
      w.lastBytes = bytes;
      if (req.readableLength > 0) {
        // unread body bytes: the gateway is the slow side, not the client
        w.idleMs = 0;
        continue;
      }
      w.waitingMs += elapsed;
      w.idleMs = progressed ? 0 : w.idleMs + elapsed;
      let reason: ClientBodyTimeoutReason | null = null;
      if (timeoutMs > 0 && w.idleMs >= timeoutMs) reason = "timeout";
      else if (minBytesPerSecond > 0 && w.waitingMs >= graceMs) {
        const rate = ((bytes - w.startBytes) * 1000) / w.waitingMs;
        if (rate < minBytesPerSecond) reason = "min_rate";
      }
      if (reason !== null) {
        this.unwatch(req);
        w.onTimeout(reason);
      }
    }
  }
}

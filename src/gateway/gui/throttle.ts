/**
 * Login throttle: at most `limit` failed logins per client address in a sliding `windowMs`
 * (5 a minute); past it the address is answered 429 until its oldest failure leaves the window.
 * A successful login clears its failures. The table is bounded (oldest addresses dropped).
 */
export interface ThrottleOptions {
  limit?: number;
  windowMs?: number;
  maxClients?: number;
  now?: () => number;
}

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(opts: ThrottleOptions = {}) {
    this.limit = opts.limit ?? 5;
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxClients = opts.maxClients ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Seconds until this client may try again, or 0 when it may now. */
  retryAfter(client: string): number {
    const list = this.recent(client);
    if (list.length < this.limit) return 0;
    return Math.max(1, Math.ceil((list[0]! + this.windowMs - this.now()) / 1000));
  }

  failed(client: string): void {
    const list = this.recent(client);
    list.push(this.now());
    this.failures.delete(client);
    this.failures.set(client, list);
    while (this.failures.size > this.maxClients) {
      this.failures.delete(this.failures.keys().next().value as string);
    }
  }

  succeeded(client: string): void {
    this.failures.delete(client);
  }

  private recent(client: string): number[] {
    const list = this.failures.get(client);
    if (list === undefined) return [];
    const since = this.now() - this.windowMs;
    while (list.length > 0 && list[0]! <= since) list.shift();
    if (list.length === 0) this.failures.delete(client);
    return list;
  }
}

/**
 * Kong's plugin queue (kong/tools/queue.lua) for the logging plugins: the log phase only
 * enqueues a serialized entry; batches of up to `max_batch_size` entries go to the handler
 * once full or `max_coalescing_delay` seconds after their first entry; a failing batch is
 * retried with exponential backoff (initial_retry_delay × 2ⁿ, capped by max_retry_delay)
 * until `max_retry_time` has passed, then dropped with an error. Memory is bounded:
 * beyond `max_entries` entries (or `max_bytes`) the oldest waiting entries are dropped,
 * with a warning. Entries are strings (serialized log entries) unless the queue is given another
 * type and a `sizeOf` (opentelemetry queues spans).
 */
import type { GatewayLogger } from "../types.js";
import type { QueueConfig } from "./queue-schema.js";

export type BatchHandler<T = string> = (batch: T[]) => Promise<void>;

const stringSize = (entry: unknown): number => (entry as string).length;

const WARN_EVERY_MS = 5000;

export class BatchQueue<T = string> {
  private readonly waiting: T[] = [];
  private head = 0;
  private bytes = 0;
  private inflight = 0;
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly stop = new AbortController();
  private readonly deliveries = new Set<Promise<void>>();
  private lastWarn = new Map<string, number>();
  /** entries dropped because the queue was full (for diagnostics and tests) */
  dropped = 0;

  constructor(
    private readonly name: string,
    private readonly opts: QueueConfig,
    private readonly handler: BatchHandler<T>,
    private readonly logger: GatewayLogger,
    /** an entry's size in bytes, for max_bytes (default: a string's length) */
    private readonly sizeOf: (entry: T) => number = stringSize,
  ) {}

  /** Entries waiting to be sent (not counting a batch being delivered). */
  get length(): number {
    return this.waiting.length - this.head;
  }

  /** Queue one entry; never blocks, never throws. False when the entry was refused. */
  enqueue(entry: T): boolean {
    if (this.closing) return false;
    const maxBytes = this.opts.max_bytes ?? null;
    const size = this.sizeOf(entry);
    if (maxBytes !== null && size > maxBytes) {
      this.warn("too-big", `${this.name}: entry of ${size} bytes is larger than queue.max_bytes, dropped`);
      this.dropped++;
      return false;
    }
    while (
      this.length > 0 &&
      (this.length >= this.opts.max_entries || (maxBytes !== null && this.bytes + size > maxBytes))
    ) {
      this.bytes -= this.sizeOf(this.waiting[this.head]!);
      this.head++;
      this.dropped++;
      this.warn("full", `${this.name}: queue full, dropping old entries`);
    }
    this.waiting.push(entry);
    this.bytes += size;
    this.compact();
    this.schedule();
    return true;
  }

  /**
   * Stop accepting entries and deliver what is waiting, retrying until `deadlineMs` has
   * passed; entries still undelivered then are dropped with an error.
   */
  async close(deadlineMs = 5000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const deadline = setTimeout(() => this.stop.abort(), deadlineMs);
    deadline.unref();
    try {
      while (this.length > 0 || this.deliveries.size > 0) {
        if (this.length > 0 && (this.opts.concurrency_limit === -1 || this.inflight === 0)) this.startBatch();
        if (this.deliveries.size > 0) await Promise.race(this.deliveries);
        if (this.stop.signal.aborted) break;
      }
    } finally {
      clearTimeout(deadline);
      this.stop.abort();
    }
    const lost = this.length;
    if (lost > 0) {
      this.logger.error(`${this.name}: queue closed, ${lost} queue entries were lost`);
      this.head = this.waiting.length;
      this.compact();
    }
  }

  private schedule(): void {
    if (this.closing) return;
    if (this.opts.concurrency_limit === 1 && this.inflight > 0) return; // resumes when the batch is done
    if (this.length >= this.opts.max_batch_size) {
      this.startBatch();
      if (this.opts.concurrency_limit === -1)
        while (this.length >= this.opts.max_batch_size) this.startBatch();
      return;
    }
    if (this.length > 0 && this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.length > 0 && (this.opts.concurrency_limit === -1 || this.inflight === 0)) this.startBatch();
      }, this.opts.max_coalescing_delay * 1000);
      this.timer.unref();
    }
  }

  private startBatch(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const end = Math.min(this.waiting.length, this.head + this.opts.max_batch_size);
    const batch = this.waiting.slice(this.head, end);
    for (const e of batch) this.bytes -= this.sizeOf(e);
    this.head = end;
    this.compact();
    this.inflight++;
    const delivery = this.deliver(batch).finally(() => {
      this.inflight--;
      this.deliveries.delete(delivery);
      this.schedule();
    });
    this.deliveries.add(delivery);
  }

  private async deliver(batch: T[]): Promise<void> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.handler(batch);
        return;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (Date.now() - started >= this.opts.max_retry_time * 1000 || this.stop.signal.aborted) {
          this.logger.error(
            `${this.name}: could not send entries due to max_retry_time exceeded. ${batch.length} queue entries were lost`,
            { error: message },
          );
          return;
        }
        this.warn("retry", `${this.name}: handler could not process entries: ${message}`);
        const delay =
          Math.min(this.opts.initial_retry_delay * 2 ** (attempt - 1), this.opts.max_retry_delay) * 1000;
        if (!(await this.sleep(delay))) {
          this.logger.error(
            `${this.name}: queue closed while retrying, ${batch.length} queue entries were lost`,
            {
              error: message,
            },
          );
          return;
        }
      }
    }
  }

  /** Resolve true after `ms`, or false as soon as the queue is stopped. */
  private sleep(ms: number): Promise<boolean> {
    const signal = this.stop.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(t);
        resolve(false);
      };
      const t = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve(true);
      }, ms);
      t.unref();
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Drop the consumed prefix of the array once it is large. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    } else if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    }
  }

  private warn(kind: string, message: string): void {
    const now = Date.now();
    if (now - (this.lastWarn.get(kind) ?? 0) < WARN_EVERY_MS) return;
    this.lastWarn.set(kind, now);
    this.logger.warn(message, kind === "full" ? { dropped: this.dropped } : undefined);
  }
}

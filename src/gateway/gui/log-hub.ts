/**
 * The live access log of the manager (`GET /gui-api/logs`, Server-Sent Events): each subscriber
 * has its filters (route, consumer by name or id; status as a code, `4xx` or `5xx`) and gets
 * `event: access` with the access-log JSON line of each matching request. Subscribers are capped;
 * one whose connection does not keep up (more than `maxBufferedBytes` unsent) is dropped, so
 * nothing buffers without bound. With no subscriber, `publish` is one size check.
 */
import type { ServerResponse } from "node:http";
import type { AccessLogFields } from "../proxy/access-log.js";
import { accessLogLine } from "../proxy/access-log.js";

export interface LogFilter {
  route: string | null;
  consumer: string | null;
  /** an exact status, or a class (5 for `5xx`) */
  status: { code: number } | { class: number } | null;
}

/** The identities a published request is matched by besides its log fields. */
export interface LogIds {
  routeId: string | null;
  consumerId: string | null;
}

interface Subscriber {
  res: ServerResponse;
  filter: LogFilter;
}

export interface LogHubOptions {
  maxSubscribers?: number;
  maxBufferedBytes?: number;
  keepAliveMs?: number;
}

/** The filters of a logs request, or a message naming the bad one. */
export function parseLogFilter(query: URLSearchParams): LogFilter | { error: string } {
  const text = (name: string) => {
    const v = query.get(name);
    return v === null || v.trim() === "" ? null : v.trim();
  };
  const status = text("status");
  let parsed: LogFilter["status"] = null;
  if (status !== null) {
    const cls = /^([1-5])xx$/i.exec(status);
    if (cls) parsed = { class: Number(cls[1]) };
    else if (/^[1-5]\d\d$/.test(status)) parsed = { code: Number(status) };
    else return { error: "status: expected a code (404) or a class (4xx, 5xx)" };
  }
  return { route: text("route"), consumer: text("consumer"), status: parsed };
}

function matches(f: LogFilter, fields: AccessLogFields, ids: LogIds): boolean {
  if (f.route !== null && f.route !== fields.route && f.route !== ids.routeId) return false;
  if (f.consumer !== null && f.consumer !== fields.consumer && f.consumer !== ids.consumerId) return false;
  if (f.status !== null) {
    if ("code" in f.status) return fields.status === f.status.code;
    return Math.floor(fields.status / 100) === f.status.class;
  }
  return true;
}

export class LogHub {
  private readonly subscribers = new Set<Subscriber>();
  private readonly maxSubscribers: number;
  private readonly maxBuffered: number;
  private readonly keepAliveMs: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(opts: LogHubOptions = {}) {
    this.maxSubscribers = opts.maxSubscribers ?? 32;
    this.maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
    this.keepAliveMs = opts.keepAliveMs ?? 15_000;
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Start streaming to `res`; false (nothing written) when the cap is reached. */
  subscribe(res: ServerResponse, filter: LogFilter, headers: Record<string, string>): boolean {
    if (this.subscribers.size >= this.maxSubscribers) return false;
    res.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(": connected\n\n");
    const sub: Subscriber = { res, filter };
    this.subscribers.add(sub);
    res.once("close", () => this.drop(sub));
    if (this.timer === null) {
      this.timer = setInterval(() => this.broadcast(": keep-alive\n\n"), this.keepAliveMs);
      this.timer.unref();
    }
    return true;
  }

  /** A finished request (called only while someone listens: check `size` first). */
  publish(fields: AccessLogFields, ids: LogIds): void {
    if (this.subscribers.size === 0) return;
    let frame: string | null = null;
    for (const sub of this.subscribers) {
      if (!matches(sub.filter, fields, ids)) continue;
      frame ??= `event: access\ndata: ${accessLogLine(fields)}\n\n`;
      this.send(sub, frame);
    }
  }

  close(): void {
    for (const sub of [...this.subscribers]) sub.res.destroy();
    this.subscribers.clear();
    this.stopTimer();
  }

  private broadcast(frame: string): void {
    for (const sub of this.subscribers) this.send(sub, frame);
  }

  private send(sub: Subscriber, frame: string): void {
    const res = sub.res;
    if (res.writableLength + frame.length > this.maxBuffered) {
      // a subscriber that does not keep up is dropped, never buffered for
      this.drop(sub);
      res.destroy();
      return;
    }
    res.write(frame);
  }

  private drop(sub: Subscriber): void {
    this.subscribers.delete(sub);
    if (this.subscribers.size === 0) this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

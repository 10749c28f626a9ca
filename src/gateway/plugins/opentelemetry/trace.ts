/**
 * One request's trace (the RequestTracer the core reports to): its ids and sampling
 * decision, made when the request arrives, and what the core tells it — each plugin phase,
 * each upstream attempt — as plain marks. Nothing span-shaped is built on the request path:
 * the log phase records the request's facts (`finish`) and the exporter queues the trace
 * itself; its spans are written one at a time into the exporter's reusable span objects
 * (`writeSpan`) when a batch is flushed. The spans are Kong's
 * (kong/observability/tracing/instrumentation.lua): the request span `kong` (server),
 * `kong.balancer` per attempt (client; the last one is the span injected upstream and lasts
 * until the response is complete), `kong.<phase>.plugin.<name>` per plugin phase — those two as
 * Kong's tracing_instrumentations say (`recorded`). Nothing is recorded for a trace that is not
 * sampled.
 */
import type { RecordedSpans } from "../_shared/tracing-settings.js";
import type { FinishedExchange, RequestTracer, TracedPhase } from "../types.js";
import { newSpanId } from "./ids.js";

/** Span kinds: the numbers of OpenTelemetry's SpanKind (INTERNAL, SERVER, CLIENT). */
export const SPAN_KIND = { internal: 0, server: 1, client: 2 } as const;
export type SpanKindCode = (typeof SPAN_KIND)[keyof typeof SPAN_KIND];

export type AttributeValue = string | number | boolean;

/** The request span's attributes (Kong's names); one object per exporter slot, overwritten per span. */
export interface RootAttributes {
  "http.method": string;
  "http.url": string;
  "http.host": string;
  "http.scheme": string;
  "http.flavor": string;
  "http.client_ip": string;
  "net.peer.ip": string;
  "kong.request.id": string;
  "http.status_code": number;
  "http.route": string;
}

export const newRootAttributes = (): RootAttributes => ({
  "http.method": "",
  "http.url": "",
  "http.host": "",
  "http.scheme": "",
  "http.flavor": "",
  "http.client_ip": "",
  "net.peer.ip": "",
  "kong.request.id": "",
  "http.status_code": 0,
  "http.route": "",
});

/** Where `writeSpan` puts one span (times are performance.now() marks); reused from span to span. */
export interface SpanSlot {
  name: string;
  kind: SpanKindCode;
  spanId: string;
  /** null: the request span of a trace that started here */
  parentId: string | null;
  /** the parent is the caller's span (it came in a header) */
  remoteParent: boolean;
  start: number;
  end: number;
  attributes: Readonly<Record<string, AttributeValue>>;
  /** the slot's own request-span attributes, filled in place for the request span */
  readonly rootAttributes: RootAttributes;
  /** set the span's status to error, with this message */
  error: string | null;
}

interface AttemptRecord {
  ip: string;
  port: number;
  hostname: string;
  start: number;
  end: number;
  status: number;
  error: string | null;
}

/** Kong caches span names per plugin: one string per plugin and phase, built once. */
const phaseNames: Record<TracedPhase, Map<string, string>> = {
  access: new Map(),
  header_filter: new Map(),
  body_filter: new Map(),
};
function phaseSpanName(phase: TracedPhase, plugin: string): string {
  const names = phaseNames[phase];
  let name = names.get(plugin);
  if (name === undefined) {
    name = `kong.${phase}.plugin.${plugin}`;
    names.set(plugin, name);
  }
  return name;
}

const NO_ATTRIBUTES: Readonly<Record<string, AttributeValue>> = Object.freeze({});

/** process.hrtime.bigint() at performance.now() 0: turns a request's arrival into a mark. */
const HRTIME_AT_ORIGIN = process.hrtime.bigint() - BigInt(Math.round(performance.now() * 1e6));

/** What the log phase knows of the finished request: the request span's attributes, unbuilt. */
export interface RequestFacts {
  method: string;
  scheme: string;
  /** the Host header as received ("" when none): the URL's authority */
  authority: string;
  /** the request target, credentials in its query redacted */
  uri: string;
  host: string;
  flavor: string;
  clientIp: string;
  requestId: string;
  status: number;
  route: string;
}

export abstract class RequestTrace implements RequestTracer {
  /** the request span */
  readonly rootSpanId = newSpanId();
  /** the span of the upstream attempt that answers: written into the upstream request's headers */
  readonly balancerSpanId = newSpanId();
  /** plugin phases, four entries each: phase, plugin, start, end */
  private phases: Array<string | number> | null = null;
  private attempts: AttemptRecord[] | null = null;
  /** set by `finish` */
  private end = 0;
  private facts: RequestFacts | null = null;
  /** spans already written by `writeSpan` (the exporter writes them in order) */
  private written = 0;

  constructor(
    readonly owner: object,
    /** 32 hex digits */
    readonly traceId: string,
    /** the trace id as it arrived (b3, jaeger and ot may carry 64-bit ids), null for a new trace */
    readonly originalTraceId: string | null,
    /** the caller's span, from the incoming headers */
    readonly parentSpanId: string | null,
    readonly sampled: boolean,
    /** the incoming W3C tracestate, exported with the spans */
    readonly traceState: string | null,
    /** process.hrtime.bigint() when the request arrived (RequestContext.startedAt) */
    private readonly startedAt: bigint,
    /** which spans besides the request span are recorded (Kong's tracing_instrumentations) */
    protected readonly recorded: RecordedSpans,
  ) {}

  /** the keys of the formats injected upstream (one without an array), for traceIdFormats */
  private injected: string | string[] | null = null;

  /** A format was injected upstream under Kong's log key `key` (w3c, b3, jaeger, ot). */
  injectedAs(key: string): void {
    const was = this.injected;
    if (was === null) this.injected = key;
    else if (typeof was === "string") this.injected = was === key ? was : [was, key];
    else if (!was.includes(key)) was.push(key);
  }

  /**
   * Kong's trace ids per injected format (the log plugins' `trace_id`), built when read: W3C
   * writes the 128-bit id, the others the id as it arrived; null when nothing was injected.
   */
  get traceIdFormats(): Record<string, string> | null {
    const keys = this.injected;
    if (keys === null) return null;
    const out: Record<string, string> = {};
    for (const key of typeof keys === "string" ? [keys] : keys) {
      out[key] = key === "w3c" ? this.traceId : (this.originalTraceId ?? this.traceId);
    }
    return out;
  }

  pluginPhase(phase: TracedPhase, plugin: string, start: number, end: number): void {
    if (!this.sampled || !this.recorded.phases.has(phase)) return;
    if (this.phases === null) this.phases = [];
    this.phases.push(phase, plugin, start, end);
  }

  attemptStarted(ip: string, port: number, hostname: string): void {
    if (!this.sampled || !this.recorded.balancer) return;
    if (this.attempts === null) this.attempts = [];
    this.attempts.push({ ip, port, hostname, start: performance.now(), end: 0, status: 0, error: null });
  }

  attemptEnded(status: number, error: string | null): void {
    const last = this.attempts?.[this.attempts.length - 1];
    if (last === undefined || last.end !== 0) return;
    last.end = performance.now();
    last.status = status;
    last.error = error;
  }

  /** The core's word that the exchange has finished (the tracing plugin records and queues the trace). */
  abstract finished(exchange: FinishedExchange): void;

  /** The request has finished at `end`: keep its facts for the request span; returns the span count. */
  finish(end: number, facts: RequestFacts): number {
    this.end = end;
    this.facts = facts;
    return this.spanCount;
  }

  /** The request span, one per attempt, one per plugin phase. */
  get spanCount(): number {
    return 1 + (this.attempts?.length ?? 0) + (this.phases === null ? 0 : this.phases.length / 4);
  }

  /**
   * Write the next span of the finished trace into `out` (the request span first, then the
   * attempts, then the plugin phases); false once every span has been written.
   */
  writeSpan(out: SpanSlot): boolean {
    const i = this.written;
    if (i >= this.spanCount) return false;
    this.written = i + 1;
    const end = this.end;
    out.error = null;
    out.remoteParent = false;
    out.parentId = this.rootSpanId;
    if (i === 0) {
      const f = this.facts;
      const a = out.rootAttributes;
      if (f !== null) {
        a["http.method"] = f.method;
        a["http.url"] = `${f.scheme}://${f.authority}${f.uri}`;
        a["http.host"] = f.host;
        a["http.scheme"] = f.scheme;
        a["http.flavor"] = f.flavor;
        a["http.client_ip"] = f.clientIp;
        a["net.peer.ip"] = f.clientIp;
        a["kong.request.id"] = f.requestId;
        a["http.status_code"] = f.status;
        a["http.route"] = f.route;
      }
      out.name = "kong";
      out.kind = SPAN_KIND.server;
      out.spanId = this.rootSpanId;
      out.parentId = this.parentSpanId;
      out.remoteParent = this.parentSpanId !== null;
      out.start = Number(this.startedAt - HRTIME_AT_ORIGIN) / 1e6;
      out.end = end;
      out.attributes = a as unknown as Record<string, AttributeValue>;
      return true;
    }
    const attempts = this.attempts;
    const n = attempts?.length ?? 0;
    if (i <= n) {
      const a = attempts![i - 1]!;
      const last = i === n;
      const attributes: Record<string, AttributeValue> = {
        try_count: i,
        "net.peer.ip": a.ip,
        "net.peer.port": a.port,
      };
      if (a.hostname !== "" && a.hostname !== a.ip) attributes["net.peer.name"] = a.hostname;
      if (a.status > 0) attributes["http.status_code"] = a.status;
      const failed = a.error !== null || a.end === 0;
      out.name = "kong.balancer";
      out.kind = SPAN_KIND.client;
      out.spanId = last ? this.balancerSpanId : newSpanId();
      out.start = a.start;
      // the answering attempt lasts until the response is complete (Kong)
      out.end = last && !failed ? end : a.end === 0 ? end : a.end;
      out.attributes = attributes;
      out.error = failed ? (a.error ?? "the attempt did not complete") : null;
      return true;
    }
    const p = this.phases!;
    const k = (i - 1 - n) * 4;
    out.name = phaseSpanName(p[k] as TracedPhase, p[k + 1] as string);
    out.kind = SPAN_KIND.internal;
    out.spanId = newSpanId();
    out.start = p[k + 2] as number;
    out.end = p[k + 3] as number;
    out.attributes = NO_ATTRIBUTES;
    return true;
  }
}

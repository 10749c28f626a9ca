/**
 * One request's trace (the RequestTracer the core reports to): its ids and sampling
 * decision, made when the request arrives, and what the core tells it — each plugin phase,
 * each upstream attempt. Spans are built once the request has finished (`spans`), in Kong's
 * shape (kong/observability/tracing/instrumentation.lua): the request span `kong` (server),
 * `kong.balancer` per attempt (client; the last one is the span injected upstream and lasts
 * until the response is complete), `kong.<phase>.plugin.<name>` per plugin phase. Nothing is
 * recorded for a trace that is not sampled.
 */
import type { RequestTracer, TracedPhase } from "../types.js";
import { newSpanId } from "./ids.js";

export const SPAN_KIND = { internal: 0, server: 1, client: 2 } as const;
export type SpanKindCode = (typeof SPAN_KIND)[keyof typeof SPAN_KIND];

export type AttributeValue = string | number | boolean;

/** A finished span (times are performance.now() marks). */
export interface SpanData {
  name: string;
  kind: SpanKindCode;
  spanId: string;
  /** null: the request span of a trace that started here */
  parentId: string | null;
  /** the parent is the caller's span (it came in a header) */
  remoteParent: boolean;
  start: number;
  end: number;
  attributes: Record<string, AttributeValue>;
  /** set the span's status to error, with this message */
  error: string | null;
}

interface PhaseRecord {
  phase: TracedPhase;
  plugin: string;
  start: number;
  end: number;
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

export interface TraceStart {
  traceId: string;
  /** the trace id as it arrived (b3, jaeger and ot may carry 64-bit ids), null for a new trace */
  originalTraceId: string | null;
  /** the caller's span, from the incoming headers */
  parentSpanId: string | null;
  sampled: boolean;
  /** the incoming W3C tracestate, exported with the spans */
  traceState: string | null;
  /** when the request arrived (performance.now()) */
  start: number;
}

export class RequestTrace implements RequestTracer {
  readonly traceId: string;
  readonly originalTraceId: string | null;
  readonly parentSpanId: string | null;
  readonly sampled: boolean;
  readonly traceState: string | null;
  readonly start: number;
  /** the request span */
  readonly rootSpanId = newSpanId();
  /** the span of the upstream attempt that answers: written into the upstream request's headers */
  readonly balancerSpanId = newSpanId();
  traceIdFormats: Record<string, string> | null = null;
  private phases: PhaseRecord[] | null = null;
  private attempts: AttemptRecord[] | null = null;

  constructor(
    start: TraceStart,
    readonly owner: object,
  ) {
    this.traceId = start.traceId;
    this.originalTraceId = start.originalTraceId;
    this.parentSpanId = start.parentSpanId;
    this.sampled = start.sampled;
    this.traceState = start.traceState;
    this.start = start.start;
  }

  pluginPhase(phase: TracedPhase, plugin: string, start: number, end: number): void {
    if (!this.sampled) return;
    if (this.phases === null) this.phases = [];
    this.phases.push({ phase, plugin, start, end });
  }

  attemptStarted(ip: string, port: number, hostname: string): void {
    if (!this.sampled) return;
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

  /** The spans of the finished request: the request span first. */
  spans(end: number, root: Record<string, AttributeValue>): SpanData[] {
    const out: SpanData[] = [
      {
        name: "kong",
        kind: SPAN_KIND.server,
        spanId: this.rootSpanId,
        parentId: this.parentSpanId,
        remoteParent: this.parentSpanId !== null,
        start: this.start,
        end,
        attributes: root,
        error: null,
      },
    ];
    const attempts = this.attempts ?? [];
    for (let i = 0; i < attempts.length; i++) {
      const a = attempts[i]!;
      const last = i === attempts.length - 1;
      const attributes: Record<string, AttributeValue> = {
        try_count: i + 1,
        "net.peer.ip": a.ip,
        "net.peer.port": a.port,
      };
      if (a.hostname !== "" && a.hostname !== a.ip) attributes["net.peer.name"] = a.hostname;
      if (a.status > 0) attributes["http.status_code"] = a.status;
      const failed = a.error !== null || a.end === 0;
      out.push({
        name: "kong.balancer",
        kind: SPAN_KIND.client,
        spanId: last ? this.balancerSpanId : newSpanId(),
        parentId: this.rootSpanId,
        remoteParent: false,
        start: a.start,
        // the answering attempt lasts until the response is complete (Kong)
        end: last && !failed ? end : a.end === 0 ? end : a.end,
        attributes,
        error: failed ? (a.error ?? "the attempt did not complete") : null,
      });
    }
    for (const p of this.phases ?? []) {
      out.push({
        name: phaseSpanName(p.phase, p.plugin),
        kind: SPAN_KIND.internal,
        spanId: newSpanId(),
        parentId: this.rootSpanId,
        remoteParent: false,
        start: p.start,
        end: p.end,
        attributes: {},
        error: null,
      });
    }
    return out;
  }
}

/**
 * Kong's opentelemetry plugin (traces). When a request on a route with this plugin arrives,
 * the core asks `startTrace` for its tracer: the incoming context is extracted (propagation.ts),
 * the trace id kept or made, and the sampling decision taken — the caller's when its headers
 * carry one, else `sampling_rate` on the trace id. The access phase clears the configured
 * headers and injects the context upstream, the balancer span as the upstream's parent; the
 * response can carry the trace id back (`http_response_header_for_traceid`: only then has the
 * plugin a response phase); when the core says the request finished (RequestTracer.finished:
 * no log phase, so no log entry is built for tracing) the request's facts are recorded on its
 * trace and the trace queued (exporter.ts: spans built and encoded as OTLP/HTTP protobuf per batch).
 * Which spans besides the request span, and the sampling rate when `sampling_rate` is not set,
 * come from the gateway's tracing settings (Kong's tracing_instrumentations and
 * tracing_sampling_rate). Without `traces_endpoint`, or with tracing_instrumentations `off`, the
 * plugin only propagates (nothing sampled, as Kong with tracing off).
 */

import { Retirement } from "../_shared/handover.js";
import {
  DEFAULT_TRACING,
  type RecordedSpans,
  recordedSpans,
  type TracingSettings,
} from "../_shared/tracing-settings.js";
import { KONG_VERSION } from "../_shared/version.js";
import type {
  FinishedExchange,
  GatewayLogger,
  PluginEntry,
  PluginEnvironment,
  PluginHandler,
  RequestContext,
  ResponseHead,
} from "../types.js";
import type { ExporterSettings, OtlpExporter } from "./exporter.js";
import { newTraceId } from "./ids.js";
import {
  type ExtractedContext,
  extractContext,
  formatKey,
  INJECTABLE,
  injectContext,
  type OutgoingContext,
  type Propagation,
  propagationOf,
} from "./propagation.js";
import type { Format, OpenTelemetryConfig } from "./schema.js";
import { RequestTrace } from "./trace.js";

/** Sample a trace by its id (deterministic: every gateway decides the same for one trace). */
export function sampledByTraceId(traceId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  return Number.parseInt(traceId.slice(-8), 16) / 0x1_0000_0000 < rate;
}

/** A request's trace with what was extracted for it; also the context injected upstream. */
class OtelTrace extends RequestTrace implements OutgoingContext {
  extracted: ExtractedContext | null = null;
  /** the request, until it finished: its request span's attributes are read from it then */
  request: RequestContext | null = null;

  finished(exchange: FinishedExchange): void {
    const ctx = this.request;
    if (ctx === null) return;
    this.request = null;
    (this.owner as OpenTelemetryHandler).traceFinished(this, ctx, exchange);
  }

  /** the upstream request is the balancer span's child (the request span's without balancer spans) */
  get spanId(): string {
    return this.recorded.balancer ? this.balancerSpanId : this.rootSpanId;
  }
  get parentId(): string {
    return this.rootSpanId;
  }
  get debug(): boolean {
    return this.extracted?.debug ?? false;
  }
  get baggage(): Record<string, string> | null {
    return this.extracted?.baggage ?? null;
  }
}

function firstValue(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(",") : v;
}

/** What decides the exporter (same settings across a reload: the queue and connections are kept). */
export function exporterSettings(
  conf: OpenTelemetryConfig,
  nodeId: string,
  logger: GatewayLogger,
): ExporterSettings | null {
  if (conf.endpoint != null) {
    logger.warn("OpenTelemetry: config.endpoint is deprecated, please use config.traces_endpoint instead");
  }
  const endpoint = conf.traces_endpoint ?? conf.endpoint ?? null;
  if (endpoint === null) return null;
  const queue = { ...conf.queue };
  if (conf.batch_span_count != null) {
    logger.warn(
      "opentelemetry: config.batch_span_count is deprecated, please use config.queue.max_batch_size instead",
    );
    queue.max_batch_size = conf.batch_span_count;
  }
  if (conf.batch_flush_delay != null) {
    logger.warn(
      "opentelemetry: config.batch_flush_delay is deprecated, please use config.queue.max_coalescing_delay instead",
    );
    queue.max_coalescing_delay = conf.batch_flush_delay;
  }
  return {
    endpoint,
    headers: { ...(conf.headers ?? {}) },
    connectTimeout: conf.connect_timeout,
    sendTimeout: conf.send_timeout,
    readTimeout: conf.read_timeout,
    queue,
    resourceAttributes: {
      "service.name": "kong",
      "service.instance.id": nodeId,
      "service.version": KONG_VERSION,
      ...(conf.resource_attributes ?? {}),
    },
  };
}

export class OpenTelemetryHandler implements PluginHandler {
  private readonly propagation: Propagation;
  private readonly rate: number;
  private readonly recorded: RecordedSpans;
  private readonly retired: Retirement | null;
  /** only with http_response_header_for_traceid: a response phase costs every request a header record */
  readonly responseHeaders?: (ctx: RequestContext, res: ResponseHead) => void;

  constructor(
    conf: OpenTelemetryConfig,
    readonly exporter: OtlpExporter | null,
    retired: Retirement | null,
    logger: GatewayLogger,
    tracing: TracingSettings = DEFAULT_TRACING,
  ) {
    this.propagation = propagationOf(conf);
    this.rate = conf.sampling_rate ?? tracing.samplingRate;
    this.recorded = recordedSpans(tracing);
    const responseHeader = conf.http_response_header_for_traceid?.toLowerCase() ?? null;
    if (responseHeader !== null) {
      this.responseHeaders = (ctx, res) => {
        const trace = this.traceOf(ctx);
        if (trace !== null) res.headers[responseHeader] = trace.traceId;
      };
    }
    this.retired = retired;
    if (conf.logs_endpoint != null) {
      logger.warn("opentelemetry: logs_endpoint is not supported by this gateway; only traces are exported");
    }
    const skipped = this.propagation.inject.filter((f) => f !== "preserve" && !INJECTABLE.has(f));
    if (skipped.length > 0) {
      logger.warn(
        `opentelemetry: propagation formats ${skipped.join(", ")} are not supported and are not injected`,
      );
    }
  }

  startTrace(ctx: RequestContext): RequestTrace {
    const headers = ctx.request.headers;
    const extract = this.propagation.extract;
    const extracted = extract.length === 0 ? null : extractContext(headers, extract);
    const original = extracted?.traceId ?? null;
    const traceId = original === null ? newTraceId() : original.padStart(32, "0");
    const sampled = this.exporter !== null && (extracted?.sampled ?? sampledByTraceId(traceId, this.rate));
    const trace = new OtelTrace(
      this,
      traceId,
      original,
      extracted?.spanId ?? null,
      sampled,
      extracted?.format === "w3c" ? firstValue(headers.tracestate) : null,
      // the request arrived before the core asked: the request span starts then
      ctx.startedAt,
      this.recorded,
    );
    trace.extracted = extracted;
    if (sampled) trace.request = ctx;
    return trace;
  }

  access(ctx: RequestContext): void {
    let trace = this.traceOf(ctx);
    if (trace === null) {
      if (ctx.trace !== null) return; // another tracing plugin traces this request
      trace = this.startTrace(ctx) as OtelTrace;
      ctx.trace = trace;
    }
    const { clear, inject, defaultFormat } = this.propagation;
    const headers = ctx.upstream.headers;
    for (const name of clear) delete headers[name];
    if (inject.length === 0) return;
    const extracted = trace.extracted;
    for (const wanted of inject) {
      let format: Format;
      if (wanted === "preserve") {
        format =
          extracted === null
            ? defaultFormat
            : extracted.format === "b3" && extracted.single
              ? "b3-single"
              : extracted.format;
      } else format = wanted;
      if (injectContext(headers, format, trace) !== null) trace.injectedAs(formatKey(format));
    }
  }

  /**
   * The core's word that a traced request finished (no log phase: the log entry is not built
   * for tracing): the request span's facts recorded, the trace queued for export.
   */
  traceFinished(trace: OtelTrace, ctx: RequestContext, exchange: FinishedExchange): void {
    const exporter = this.exporter;
    if (!trace.sampled || exporter === null) return;
    const host = ctx.request.headers.host;
    const spans = trace.finish(exchange.end, {
      method: ctx.request.method,
      scheme: ctx.protocol,
      // the URL is the log entry's: credentials in its query are redacted
      authority: typeof host === "string" ? host : "",
      uri: exchange.uri,
      host: ctx.request.host,
      flavor: ctx.request.httpVersion,
      clientIp: ctx.clientIp,
      requestId: ctx.requestId,
      status: exchange.status,
      route: ctx.route?.paths?.[0] ?? "",
    });
    exporter.export(trace, spans);
  }

  async close(): Promise<void> {
    await this.retired?.now();
    await this.exporter?.close();
  }

  private traceOf(ctx: RequestContext): OtelTrace | null {
    const t = ctx.trace;
    return t instanceof OtelTrace && t.owner === this ? t : null;
  }
}

export async function createOpenTelemetryHandler(
  entry: PluginEntry<OpenTelemetryConfig>,
  env: PluginEnvironment,
): Promise<PluginHandler> {
  const conf = entry.config;
  const tracing = env.tracing ?? DEFAULT_TRACING;
  // tracing_instrumentations off: the plugin only propagates (Kong), nothing is exported
  const wanted = exporterSettings(conf, env.nodeId, env.logger);
  const settings = recordedSpans(tracing).enabled ? wanted : null;
  const prev = env.previous instanceof OpenTelemetryHandler ? env.previous : null;
  let exporter: OtlpExporter | null = null;
  let retired: Retirement | null = null;
  if (settings !== null && prev?.exporter?.key === JSON.stringify(settings)) {
    exporter = prev.exporter; // same endpoint and queue: keep what is queued
  } else {
    if (prev !== null) retired = new Retirement(() => prev.close());
    if (settings !== null) {
      // the OpenTelemetry packages are loaded only when an entry exports traces
      const { OtlpExporter } = await import("./exporter.js");
      exporter = new OtlpExporter(settings, `opentelemetry (${entry.id}):traces`, env.logger);
    }
  }
  return new OpenTelemetryHandler(conf, exporter, retired, env.logger, tracing);
}

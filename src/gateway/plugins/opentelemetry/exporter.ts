/**
 * OTLP/HTTP export of finished spans: the log phase converts a request's spans into the
 * OpenTelemetry SDK's ReadableSpan shape and queues them (the shared plugin queue, one entry
 * per span, `queue.max_batch_size` spans per request); each batch is serialized by the official
 * OpenTelemetry JS protobuf serializer (@opentelemetry/otlp-transformer) and POSTed as
 * `application/x-protobuf`, retried with backoff on failure. This module loads the OpenTelemetry
 * packages, so the handler imports it only when an opentelemetry entry with a traces endpoint
 * is configured.
 */
import { type Attributes, type HrTime, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { TraceState } from "@opentelemetry/core";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { requestOn, type SimpleResponse } from "../../transport/dispatch.js";
import { Pool } from "../../transport/undici-pool.js";
import { BatchQueue } from "../_shared/batch-queue.js";
import type { QueueConfig } from "../_shared/queue-schema.js";
import type { GatewayLogger } from "../types.js";
import type { SpanData } from "./trace.js";

/** Kong's tracer name and version in the exported instrumentation scope. */
const SCOPE = { name: "kong-internal", version: "0.1.0" } as const;
const CLOSE_FLUSH_MS = 3000;
/** A span's rough protobuf size, for queue.max_bytes. */
const SPAN_BYTES = 256;

const KINDS = [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT] as const;

/** performance.now() → HrTime (epoch seconds, nanoseconds). */
function hrTime(mark: number): HrTime {
  const ms = performance.timeOrigin + mark;
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6));
  return [seconds, nanos];
}

function duration(start: number, end: number): HrTime {
  const ms = Math.max(0, end - start);
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6))];
}

export interface ExporterSettings {
  endpoint: string;
  headers: Record<string, string>;
  connectTimeout: number;
  readTimeout: number;
  queue: QueueConfig;
  resourceAttributes: Record<string, string>;
}

export class OtlpExporter {
  readonly key: string;
  private readonly resource: Resource;
  private readonly queue: BatchQueue<ReadableSpan>;
  private readonly pool: Pool;

  constructor(settings: ExporterSettings, name: string, logger: GatewayLogger) {
    this.key = JSON.stringify(settings);
    this.resource = resourceFromAttributes(settings.resourceAttributes);
    const url = new URL(settings.endpoint);
    const https = url.protocol === "https:";
    const hostPort = `${url.hostname}:${url.port === "" ? (https ? 443 : 80) : url.port}`;
    const path = `${url.pathname}${url.search}`;
    const headers: Record<string, string> = { host: url.host, "content-type": "application/x-protobuf" };
    for (const [k, v] of Object.entries(settings.headers)) headers[k.toLowerCase()] = v;
    this.pool = new Pool(url.origin, {
      connections: 2,
      keepAliveTimeout: 60_000,
      connect: { timeout: settings.connectTimeout },
    });
    const pool = this.pool;
    const send = async (spans: ReadableSpan[]): Promise<void> => {
      const body = ProtobufTraceSerializer.serializeRequest(spans);
      if (body === undefined) throw new Error("the spans could not be serialized");
      let res: SimpleResponse;
      try {
        res = await requestOn(pool, {
          method: "POST",
          path,
          headers: { ...headers, "content-length": String(body.byteLength) },
          body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          headersTimeout: settings.readTimeout,
          bodyTimeout: settings.readTimeout,
        });
      } catch (err) {
        throw new Error(`failed to send spans to ${hostPort}: ${(err as Error).message}`);
      }
      if (res.status < 200 || res.status >= 300) {
        throw new Error(
          `the OTLP server at ${hostPort} answered ${res.status}: ${res.body.toString("utf8")}`,
        );
      }
    };
    this.queue = new BatchQueue<ReadableSpan>(name, settings.queue, send, logger, () => SPAN_BYTES);
  }

  /** Queue the spans of one trace; never blocks. */
  export(traceId: string, traceState: string | null, spans: readonly SpanData[]): void {
    const state = traceState === null ? undefined : new TraceState(traceState);
    for (const s of spans) this.queue.enqueue(this.readable(traceId, state, s));
  }

  async close(): Promise<void> {
    await this.queue.close(CLOSE_FLUSH_MS);
    await this.pool.close().catch(() => this.pool.destroy());
  }

  private readable(traceId: string, traceState: TraceState | undefined, s: SpanData): ReadableSpan {
    const context = { traceId, spanId: s.spanId, traceFlags: 1, isRemote: false, traceState };
    return {
      name: s.name,
      kind: KINDS[s.kind],
      spanContext: () => context,
      parentSpanContext:
        s.parentId === null
          ? undefined
          : { traceId, spanId: s.parentId, traceFlags: 1, isRemote: s.remoteParent, traceState },
      startTime: hrTime(s.start),
      endTime: hrTime(s.end),
      duration: duration(s.start, s.end),
      status:
        s.error === null ? { code: SpanStatusCode.UNSET } : { code: SpanStatusCode.ERROR, message: s.error },
      attributes: s.attributes as Attributes,
      links: [],
      events: [],
      ended: true,
      resource: this.resource,
      instrumentationScope: SCOPE,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }
}

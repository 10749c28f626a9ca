/**
 * OTLP/HTTP export of finished traces. The request path only queues: the log phase enqueues
 * the request's trace once per span it holds (the shared plugin queue counts spans, as Kong's
 * does: `queue.max_batch_size` spans per export request); nothing span-shaped is built then.
 * When a batch is flushed, each entry writes the trace's next span into one of a pool of
 * reusable span objects in the OpenTelemetry SDK's ReadableSpan shape, the batch is
 * serialized by the official OpenTelemetry JS protobuf serializer
 * (@opentelemetry/otlp-transformer) and POSTed as `application/x-protobuf`, retried with
 * backoff on failure (the serialized body is kept for the retries). Should the queue drop
 * entries of a trace (full), the trace's last spans are the ones lost. Timeouts are Kong's:
 * `connect_timeout` to connect, `send_timeout` for the connection to take more of the request
 * while it cannot take all of it (a receiver that stops reading), `read_timeout` for the
 * answer. This module loads the OpenTelemetry packages, so the handler imports it only when an
 * opentelemetry entry with a traces endpoint is configured.
 */
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import {
  type Attributes,
  type HrTime,
  type SpanContext,
  SpanKind,
  type SpanStatus,
  SpanStatusCode,
} from "@opentelemetry/api";
import { TraceState } from "@opentelemetry/core";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import type { buildConnector } from "undici";
import { requestOn, type SimpleResponse } from "../../transport/dispatch.js";
import { Pool } from "../../transport/undici-pool.js";
import { BatchQueue } from "../_shared/batch-queue.js";
import type { QueueConfig } from "../_shared/queue-schema.js";
import type { GatewayLogger } from "../types.js";
import {
  type AttributeValue,
  newRootAttributes,
  type RequestTrace,
  type RootAttributes,
  type SpanSlot,
} from "./trace.js";

/** Kong's tracer name and version in the exported instrumentation scope. */
const SCOPE = { name: "kong-internal", version: "0.1.0" } as const;
const CLOSE_FLUSH_MS = 3000;
/** Span objects kept between flushes (a larger batch allocates the rest for itself). */
const POOLED_SPANS = 1000;

const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NOTHING: never[] = [];

/** performance.now() mark → HrTime (epoch seconds, nanoseconds), written into `out`. */
function setHrTime(out: HrTime, mark: number): void {
  const ms = performance.timeOrigin + mark;
  const seconds = Math.floor(ms / 1000);
  out[0] = seconds;
  out[1] = Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6));
}

/**
 * One reusable span in the SDK's ReadableSpan shape: `load` fills it from the slot a trace
 * wrote. Only valid during the synchronous serialization of one batch.
 */
class PooledSpan implements ReadableSpan {
  // SpanSlot: what the trace writes (its kind codes are the SDK's SpanKind numbers)
  name = "";
  kind: SpanKind = SpanKind.INTERNAL;
  spanId = "";
  parentId: string | null = null;
  remoteParent = false;
  start = 0;
  end = 0;
  attributes: Attributes = {};
  readonly rootAttributes: RootAttributes = newRootAttributes();
  error: string | null = null;
  // ReadableSpan: what the serializer reads
  readonly startTime: HrTime = [0, 0];
  readonly endTime: HrTime = [0, 0];
  readonly duration: HrTime = [0, 0];
  status: SpanStatus = UNSET;
  parentSpanContext: SpanContext | undefined = undefined;
  readonly links = NOTHING;
  readonly events = NOTHING;
  readonly ended = true;
  readonly instrumentationScope = SCOPE;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  private readonly context: SpanContext = { traceId: "", spanId: "", traceFlags: 1, isRemote: false };
  private readonly parent: SpanContext = { traceId: "", spanId: "", traceFlags: 1, isRemote: false };
  readonly spanContext = (): SpanContext => this.context;

  constructor(readonly resource: Resource) {}

  /** After the trace wrote the slot: the ReadableSpan fields. */
  load(traceId: string, traceState: TraceState | undefined): void {
    const c = this.context;
    c.traceId = traceId;
    c.spanId = this.spanId;
    c.traceState = traceState;
    if (this.parentId === null) this.parentSpanContext = undefined;
    else {
      const p = this.parent;
      p.traceId = traceId;
      p.spanId = this.parentId;
      p.isRemote = this.remoteParent;
      p.traceState = traceState;
      this.parentSpanContext = p;
    }
    setHrTime(this.startTime, this.start);
    setHrTime(this.endTime, this.end);
    const d = Math.max(0, this.end - this.start);
    const seconds = Math.floor(d / 1000);
    this.duration[0] = seconds;
    this.duration[1] = Math.min(999_999_999, Math.round((d - seconds * 1000) * 1e6));
    this.status = this.error === null ? UNSET : { code: SpanStatusCode.ERROR, message: this.error };
  }
}

/** The slot a trace writes into (SPAN_KIND's codes are the SDK's SpanKind numbers). */
function slotOf(span: PooledSpan): SpanSlot {
  return span as unknown as SpanSlot;
}

export interface ExporterSettings {
  endpoint: string;
  headers: Record<string, string>;
  connectTimeout: number;
  sendTimeout: number;
  readTimeout: number;
  queue: QueueConfig;
  resourceAttributes: Record<string, string>;
}

const requireCjs = createRequire(import.meta.url);
type BuildConnector = typeof buildConnector;
/** undici's connector on its own, as transport/undici-pool.ts loads the Pool. */
function loadConnector(): BuildConnector {
  try {
    return requireCjs("undici/lib/core/connect.js") as BuildConnector;
  } catch {
    return (requireCjs("undici") as { buildConnector: BuildConnector }).buildConnector;
  }
}

/**
 * Kong's send timeout on a connection: once a write cannot be taken in full (the socket
 * buffers), the connection must take more within `ms`, else it is destroyed and the
 * request on it fails.
 */
function watchSends(socket: Socket, ms: number, where: string): void {
  let timer: NodeJS.Timeout | null = null;
  const disarm = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  const write = socket.write;
  socket.write = function (this: Socket, ...args: Parameters<Socket["write"]>): boolean {
    const ok = write.apply(this, args);
    if (!ok && timer === null) {
      timer = setTimeout(() => {
        timer = null;
        socket.destroy(new Error(`timeout sending to ${where} (send_timeout ${ms} ms)`));
      }, ms);
      timer.unref();
    }
    return ok;
  } as Socket["write"];
  socket.on("drain", disarm);
  socket.once("close", disarm);
}

export class OtlpExporter {
  readonly key: string;
  private readonly resource: Resource;
  private readonly queue: BatchQueue<RequestTrace>;
  private readonly pool: Pool;
  private readonly spanPool: PooledSpan[] = [];
  /** serialized bodies of batches being delivered (a retry sends the same bytes) */
  private readonly bodies = new WeakMap<RequestTrace[], Buffer>();
  private lastTraceState: { text: string; state: TraceState } | null = null;

  constructor(settings: ExporterSettings, name: string, logger: GatewayLogger) {
    this.key = JSON.stringify(settings);
    this.resource = resourceFromAttributes(settings.resourceAttributes);
    const url = new URL(settings.endpoint);
    const https = url.protocol === "https:";
    const hostPort = `${url.hostname}:${url.port === "" ? (https ? 443 : 80) : url.port}`;
    const path = `${url.pathname}${url.search}`;
    const headers: Record<string, string> = { host: url.host, "content-type": "application/x-protobuf" };
    for (const [k, v] of Object.entries(settings.headers)) headers[k.toLowerCase()] = v;
    const connector = loadConnector()({ timeout: settings.connectTimeout });
    this.pool = new Pool(url.origin, {
      connections: 2,
      keepAliveTimeout: 60_000,
      connect: (opts, callback) =>
        connector(opts, (...result) => {
          // a failed connect passes no socket at all
          if (result[0] === null) watchSends(result[1], settings.sendTimeout, hostPort);
          callback(...result);
        }),
    });
    const pool = this.pool;
    const send = async (batch: RequestTrace[]): Promise<void> => {
      let body = this.bodies.get(batch);
      if (body === undefined) {
        // a full batch starts from the log phase of the request that filled it: encode after it
        await new Promise<void>((resolve) => setImmediate(resolve));
        body = this.serialize(batch);
        this.bodies.set(batch, body);
      }
      let res: SimpleResponse;
      try {
        res = await requestOn(pool, {
          method: "POST",
          path,
          headers: { ...headers, "content-length": String(body.byteLength) },
          body,
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
      this.bodies.delete(batch);
    };
    // entries are traces, one per span: Kong's queue ignores max_bytes for non-string entries
    this.queue = new BatchQueue<RequestTrace>(name, settings.queue, send, logger, () => 0);
  }

  /** Queue a finished trace, one entry per span; never blocks, builds nothing. */
  export(trace: RequestTrace, spans: number): void {
    for (let i = 0; i < spans; i++) this.queue.enqueue(trace);
  }

  async close(): Promise<void> {
    await this.queue.close(CLOSE_FLUSH_MS);
    await this.pool.close().catch(() => this.pool.destroy());
  }

  /** A batch as OTLP protobuf: each entry is its trace's next span. */
  private serialize(batch: RequestTrace[]): Buffer {
    const spans: PooledSpan[] = [];
    for (let i = 0; i < batch.length; i++) {
      const trace = batch[i]!;
      let span = this.spanPool[i];
      if (span === undefined) {
        span = new PooledSpan(this.resource);
        if (i < POOLED_SPANS) this.spanPool.push(span);
      }
      if (!trace.writeSpan(slotOf(span))) continue;
      span.load(trace.traceId, this.traceStateOf(trace.traceState));
      spans.push(span);
    }
    const bytes = ProtobufTraceSerializer.serializeRequest(spans);
    if (bytes === undefined) throw new Error("the spans could not be serialized");
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private traceStateOf(text: string | null): TraceState | undefined {
    if (text === null) return undefined;
    const last = this.lastTraceState;
    if (last !== null && last.text === text) return last.state;
    const state = new TraceState(text);
    this.lastTraceState = { text, state };
    return state;
  }
}

export type { AttributeValue };

/**
 * Tracing context in HTTP headers, as Kong's propagation module reads and writes it
 * (kong/observability/tracing/propagation/): W3C `traceparent` (tracestate passes through
 * untouched), b3 (multi-header and the single `b3` header), jaeger `uber-trace-id` with
 * `uberctx-*` baggage, ot `ot-tracer-*` with `ot-baggage-*`. Ids are lowercase hex.
 */
import type { Extractor, Format, OpenTelemetryConfig } from "./schema.js";

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** The context found in an incoming request. */
export interface ExtractedContext {
  format: "w3c" | "b3" | "jaeger" | "ot";
  /** as received (16 or 32 hex digits), null when the header only carried a sampling decision */
  traceId: string | null;
  /** the caller's span: the parent of the gateway's request span */
  spanId: string | null;
  /** the caller's sampling decision, null when it left it open */
  sampled: boolean | null;
  /** b3's debug flag (X-B3-Flags: 1, or `d` in the single header) */
  debug: boolean;
  /** b3 arrived as the single `b3` header (`preserve` answers in kind) */
  single: boolean;
  baggage: Record<string, string> | null;
}

/** What is written upstream. */
export interface OutgoingContext {
  /** 32 hex digits */
  traceId: string;
  /** the trace id in the length it arrived in (b3, jaeger and ot keep 64-bit ids) */
  originalTraceId: string | null;
  /** the span the upstream request is a child of (the balancer span) */
  spanId: string;
  /** that span's parent (the gateway's request span) */
  parentId: string;
  sampled: boolean;
  debug: boolean;
  baggage: Record<string, string> | null;
}

/** Kong's get_plugin_params: the propagation settings, legacy header_type applied. */
export interface Propagation {
  extract: readonly Extractor[];
  inject: ReadonlyArray<Format | "preserve">;
  clear: readonly string[];
  defaultFormat: Format;
}

/** The extraction order header_type used to hard-code. */
const LEGACY_EXTRACT: readonly Extractor[] = [
  "b3",
  "w3c",
  "jaeger",
  "ot",
  "datadog",
  "aws",
  "gcp",
  "instana",
];

export function propagationOf(conf: OpenTelemetryConfig): Propagation {
  const p = conf.propagation;
  const defaultFormat = p.default_format;
  if (p.extract != null || p.inject != null || p.clear != null) {
    return {
      extract: p.extract ?? [],
      inject: p.inject ?? [],
      clear: (p.clear ?? []).map((h) => h.toLowerCase()),
      defaultFormat,
    };
  }
  switch (conf.header_type) {
    case "preserve":
      return { extract: LEGACY_EXTRACT, inject: ["preserve"], clear: [], defaultFormat };
    case "ignore":
      return { extract: [], inject: [defaultFormat], clear: [], defaultFormat };
    default:
      return { extract: LEGACY_EXTRACT, inject: ["preserve", conf.header_type], clear: [], defaultFormat };
  }
}

function first(headers: Headers, name: string): string | null {
  const v = headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZEROS = /^0+$/;
const traceIdOk = (id: string) => (HEX32.test(id) || HEX16.test(id)) && !ZEROS.test(id);
const spanIdOk = (id: string) => HEX16.test(id) && !ZEROS.test(id);

function baggageOf(headers: Headers, prefix: string): Record<string, string> | null {
  let out: Record<string, string> | null = null;
  for (const name of Object.keys(headers)) {
    if (!name.startsWith(prefix)) continue;
    const value = first(headers, name);
    if (value === null) continue;
    if (out === null) out = {};
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      // keep the raw value
    }
    out[name.slice(prefix.length)] = decoded;
  }
  return out;
}

function w3c(headers: Headers): ExtractedContext | null {
  const tp = first(headers, "traceparent");
  if (tp === null) return null;
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(tp.trim().toLowerCase());
  if (m === null || m[1] === "ff" || (m[1] === "00" && m[5] !== undefined)) return null;
  if (ZEROS.test(m[2]!) || ZEROS.test(m[3]!)) return null;
  return {
    format: "w3c",
    traceId: m[2]!,
    spanId: m[3]!,
    sampled: (Number.parseInt(m[4]!, 16) & 1) === 1,
    debug: false,
    single: false,
    baggage: null,
  };
}

function b3Sampled(v: string | null): boolean | null {
  if (v === "1" || v === "true" || v === "d") return true;
  if (v === "0" || v === "false") return false;
  return null;
}

function b3(headers: Headers): ExtractedContext | null {
  const single = first(headers, "b3");
  if (single !== null) {
    const v = single.trim().toLowerCase();
    if (v === "0" || v === "1" || v === "d") {
      return {
        format: "b3",
        traceId: null,
        spanId: null,
        sampled: v !== "0",
        debug: v === "d",
        single: true,
        baggage: null,
      };
    }
    const m = /^([0-9a-f]{16}|[0-9a-f]{32})-([0-9a-f]{16})(?:-([01d]))?(?:-([0-9a-f]{16}))?$/.exec(v);
    if (m !== null && traceIdOk(m[1]!) && spanIdOk(m[2]!)) {
      return {
        format: "b3",
        traceId: m[1]!,
        spanId: m[2]!,
        sampled: m[3] === undefined ? null : m[3] !== "0",
        debug: m[3] === "d",
        single: true,
        baggage: null,
      };
    }
    return null;
  }
  const traceId = first(headers, "x-b3-traceid")?.toLowerCase() ?? null;
  const spanId = first(headers, "x-b3-spanid")?.toLowerCase() ?? null;
  const debug = first(headers, "x-b3-flags") === "1";
  const sampled = debug ? true : b3Sampled(first(headers, "x-b3-sampled")?.toLowerCase() ?? null);
  if (traceId !== null && spanId !== null && traceIdOk(traceId) && spanIdOk(spanId)) {
    return { format: "b3", traceId, spanId, sampled, debug, single: false, baggage: null };
  }
  if (traceId === null && spanId === null && sampled !== null) {
    return { format: "b3", traceId: null, spanId: null, sampled, debug, single: false, baggage: null };
  }
  return null;
}

const padHex = (s: string, n: number) => s.padStart(n, "0");

function jaeger(headers: Headers): ExtractedContext | null {
  const v = first(headers, "uber-trace-id");
  if (v === null) return null;
  const m = /^([0-9a-f]{1,32}):([0-9a-f]{1,16}):([0-9a-f]{1,16}):([0-9a-f]{1,2})$/.exec(
    v.trim().toLowerCase().replaceAll("%3a", ":"),
  );
  if (m === null) return null;
  const traceId = padHex(m[1]!, m[1]!.length > 16 ? 32 : 16);
  const spanId = padHex(m[2]!, 16);
  if (!traceIdOk(traceId) || !spanIdOk(spanId)) return null;
  const flags = Number.parseInt(m[4]!, 16);
  return {
    format: "jaeger",
    traceId,
    spanId,
    sampled: (flags & 1) === 1,
    debug: (flags & 2) === 2,
    single: false,
    baggage: baggageOf(headers, "uberctx-"),
  };
}

function ot(headers: Headers): ExtractedContext | null {
  const traceId = first(headers, "ot-tracer-traceid")?.toLowerCase() ?? null;
  const spanId = first(headers, "ot-tracer-spanid")?.toLowerCase() ?? null;
  if (traceId === null || spanId === null || !traceIdOk(traceId) || !spanIdOk(spanId)) return null;
  const s = first(headers, "ot-tracer-sampled");
  return {
    format: "ot",
    traceId,
    spanId,
    sampled: s === "1" ? true : s === "0" ? false : null,
    debug: false,
    single: false,
    baggage: baggageOf(headers, "ot-baggage-"),
  };
}

const EXTRACT: Partial<Record<Extractor, (headers: Headers) => ExtractedContext | null>> = {
  w3c,
  b3,
  jaeger,
  ot,
};

/** The context of the first extractor (in the configured order) that finds one. */
export function extractContext(headers: Headers, extractors: readonly Extractor[]): ExtractedContext | null {
  for (const name of extractors) {
    const found = EXTRACT[name]?.(headers) ?? null;
    if (found !== null) return found;
  }
  return null;
}

/** Formats this gateway can write. */
export const INJECTABLE: ReadonlySet<Format> = new Set<Format>(["w3c", "b3", "b3-single", "jaeger", "ot"]);

type Out = Record<string, string | string[]>;

/** A trace id in the size `format` takes: 128 bits for W3C, else the size it arrived in. */
function traceIdFor(format: Format, ctx: OutgoingContext): string {
  return format === "w3c" || ctx.originalTraceId === null ? ctx.traceId : ctx.originalTraceId;
}

/** Write `ctx` into `headers` in `format`; returns the trace id as written (Kong's formatted ids), or null when the format is not written. */
export function injectContext(headers: Out, format: Format, ctx: OutgoingContext): string | null {
  const traceId = traceIdFor(format, ctx);
  switch (format) {
    case "w3c":
      headers.traceparent = `00-${traceId}-${ctx.spanId}-${ctx.sampled ? "01" : "00"}`;
      return traceId;
    case "b3":
      headers["x-b3-traceid"] = traceId;
      headers["x-b3-spanid"] = ctx.spanId;
      headers["x-b3-parentspanid"] = ctx.parentId;
      if (ctx.debug) headers["x-b3-flags"] = "1";
      else headers["x-b3-sampled"] = ctx.sampled ? "1" : "0";
      return traceId;
    case "b3-single":
      headers.b3 = `${traceId}-${ctx.spanId}-${ctx.debug ? "d" : ctx.sampled ? "1" : "0"}-${ctx.parentId}`;
      return traceId;
    case "jaeger":
      headers["uber-trace-id"] = `${traceId}:${ctx.spanId}:${ctx.parentId}:${ctx.sampled ? "01" : "00"}`;
      for (const [k, v] of Object.entries(ctx.baggage ?? {})) headers[`uberctx-${k}`] = encodeURIComponent(v);
      return traceId;
    case "ot":
      headers["ot-tracer-traceid"] = traceId;
      headers["ot-tracer-spanid"] = ctx.spanId;
      headers["ot-tracer-sampled"] = ctx.sampled ? "1" : "0";
      for (const [k, v] of Object.entries(ctx.baggage ?? {}))
        headers[`ot-baggage-${k}`] = encodeURIComponent(v);
      return traceId;
    default:
      return null;
  }
}

/** The key of Kong's `trace_id` log field for a format (b3-single logs as b3). */
export function formatKey(format: Format): string {
  return format === "b3-single" ? "b3" : format;
}

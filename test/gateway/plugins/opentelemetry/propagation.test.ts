/**
 * Tracing headers read and written as Kong's propagation extractors and injectors do: what
 * each format accepts, what is refused (bad versions, zero ids, wrong sizes), b3's
 * sampling-only and single forms, jaeger's short ids, header_type's legacy mapping.
 */
import { describe, expect, it } from "vitest";
import {
  extractContext,
  injectContext,
  type OutgoingContext,
  propagationOf,
} from "../../../../src/gateway/plugins/opentelemetry/propagation.js";
import {
  type OpenTelemetryConfig,
  openTelemetrySchema,
} from "../../../../src/gateway/plugins/opentelemetry/schema.js";

const ALL = ["w3c", "b3", "jaeger", "ot"] as const;
const T32 = "4bf92f3577b34da6a3ce929d0e0e4736";
const S16 = "00f067aa0ba902b7";

const conf = (c: Record<string, unknown>): OpenTelemetryConfig =>
  openTelemetrySchema.parse({ traces_endpoint: "http://otel:4318/v1/traces", ...c });

describe("opentelemetry propagation", () => {
  it("reads W3C traceparent, refusing version ff, zero ids and malformed values", () => {
    expect(extractContext({ traceparent: `00-${T32}-${S16}-01` }, ALL)).toMatchObject({
      format: "w3c",
      traceId: T32,
      spanId: S16,
      sampled: true,
    });
    expect(extractContext({ traceparent: `00-${T32}-${S16}-00` }, ALL)?.sampled).toBe(false);
    expect(extractContext({ traceparent: `ff-${T32}-${S16}-01` }, ALL)).toBeNull();
    expect(extractContext({ traceparent: `00-${"0".repeat(32)}-${S16}-01` }, ALL)).toBeNull();
    expect(extractContext({ traceparent: `00-${T32}-${"0".repeat(16)}-01` }, ALL)).toBeNull();
    expect(extractContext({ traceparent: `00-${T32}-${S16}-01-extra` }, ALL)).toBeNull();
    // a future version may carry more fields
    expect(extractContext({ traceparent: `01-${T32}-${S16}-01-extra` }, ALL)?.traceId).toBe(T32);
  });

  it("reads b3 multi-header, the single b3 header and b3's sampling-only forms", () => {
    expect(extractContext({ "x-b3-traceid": T32, "x-b3-spanid": S16, "x-b3-flags": "1" }, ALL)).toMatchObject(
      {
        format: "b3",
        sampled: true,
        debug: true,
        single: false,
      },
    );
    expect(extractContext({ b3: `${T32}-${S16}-0-${S16}` }, ALL)).toMatchObject({
      sampled: false,
      single: true,
    });
    expect(extractContext({ b3: "d" }, ALL)).toMatchObject({ traceId: null, sampled: true, debug: true });
    expect(extractContext({ "x-b3-sampled": "0" }, ALL)).toMatchObject({ traceId: null, sampled: false });
    expect(extractContext({ "x-b3-traceid": "xyz", "x-b3-spanid": S16 }, ALL)).toBeNull();
  });

  it("reads jaeger (short ids padded, baggage decoded) and ot, in the configured order", () => {
    const j = extractContext({ "uber-trace-id": "abc:def:0:3", "uberctx-user": "a%20b" }, ALL);
    expect(j).toMatchObject({ format: "jaeger", traceId: "0000000000000abc", spanId: "0000000000000def" });
    expect(j).toMatchObject({ sampled: true, debug: true, baggage: { user: "a b" } });
    const headers = {
      traceparent: `00-${T32}-${S16}-01`,
      "ot-tracer-traceid": "1".repeat(16),
      "ot-tracer-spanid": S16,
    };
    expect(extractContext(headers, ["ot", "w3c"])?.format).toBe("ot");
    expect(extractContext(headers, ["w3c", "ot"])?.format).toBe("w3c");
    expect(extractContext(headers, [])).toBeNull();
  });

  it("writes each format; W3C always with a 128-bit trace id, the others in the size received", () => {
    const out: OutgoingContext = {
      traceId: `${"0".repeat(16)}a3ce929d0e0e4736`,
      originalTraceId: "a3ce929d0e0e4736",
      spanId: S16,
      parentId: "1111111111111111",
      sampled: true,
      debug: false,
      baggage: { k: "v w" },
    };
    const h: Record<string, string | string[]> = {};
    expect(injectContext(h, "w3c", out)).toBe(out.traceId);
    expect(h.traceparent).toBe(`00-${out.traceId}-${S16}-01`);
    expect(injectContext(h, "b3-single", out)).toBe("a3ce929d0e0e4736");
    expect(h.b3).toBe(`a3ce929d0e0e4736-${S16}-1-1111111111111111`);
    injectContext(h, "jaeger", out);
    expect(h["uber-trace-id"]).toBe(`a3ce929d0e0e4736:${S16}:1111111111111111:01`);
    expect(h["uberctx-k"]).toBe("v%20w");
    injectContext(h, "b3", { ...out, debug: true });
    expect(h["x-b3-flags"]).toBe("1");
    expect(injectContext(h, "datadog", out)).toBeNull();
  });

  it("maps the legacy header_type when propagation sets no extract/inject/clear", () => {
    expect(propagationOf(conf({})).inject).toEqual(["preserve"]);
    expect(propagationOf(conf({ header_type: "ignore" }))).toMatchObject({ extract: [], inject: ["w3c"] });
    expect(propagationOf(conf({ header_type: "jaeger" })).inject).toEqual(["preserve", "jaeger"]);
    const explicit = propagationOf(conf({ header_type: "jaeger", propagation: { inject: ["ot"] } }));
    expect(explicit).toMatchObject({ extract: [], inject: ["ot"], clear: [] });
    expect(propagationOf(conf({ propagation: { clear: ["X-Trace"], default_format: "b3" } }))).toMatchObject({
      clear: ["x-trace"],
      defaultFormat: "b3",
    });
  });
});

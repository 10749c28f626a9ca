/**
 * Kong's tracing_instrumentations / tracing_sampling_rate as this gateway reads them: the values
 * Kong's conf_loader accepts and its messages for the others, and which spans each setting
 * records (Kong's instrumentation.lua: every setting but `off` records the request span).
 */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_TRACING,
  parseTracingInstrumentations,
  parseTracingSamplingRate,
  recordedSpans,
  unrecorded,
} from "../../../../src/gateway/plugins/_shared/tracing-settings.js";

const spansOf = (value: string) => {
  const r = recordedSpans({ instrumentations: parseTracingInstrumentations(value), samplingRate: 1 });
  return { enabled: r.enabled, balancer: r.balancer, phases: [...r.phases].sort() };
};

describe("tracing settings", () => {
  it("parses Kong's comma-separated types, spaces allowed, and refuses the rest with Kong's messages", () => {
    expect(parseTracingInstrumentations("all")).toEqual(["all"]);
    expect(parseTracingInstrumentations(" request , balancer,plugin_access ")).toEqual([
      "request",
      "balancer",
      "plugin_access",
    ]);
    expect(() => parseTracingInstrumentations("balancer,plugin_body_filter")).toThrow(
      /^invalid tracing type: plugin_body_filter$/,
    );
    expect(() => parseTracingInstrumentations("ALL")).toThrow(/^invalid tracing type: ALL$/);
    expect(() => parseTracingInstrumentations("off,request")).toThrow(
      /^invalid tracing types: off, other types are mutually exclusive$/,
    );
    expect(() => parseTracingInstrumentations(" , ")).toThrow(/comma-separated list/);
  });

  it("reads the sampling rate from 0 to 1 and refuses anything else", () => {
    expect(parseTracingSamplingRate("0")).toBe(0);
    expect(parseTracingSamplingRate(" 0.01 ")).toBe(0.01);
    expect(parseTracingSamplingRate("1.0")).toBe(1);
    for (const bad of ["", "-0.1", "1.01", "NaN", "half", "Infinity"]) {
      expect(() => parseTracingSamplingRate(bad), bad).toThrow(
        /^tracing_sampling_rate must be between 0 and 1$/,
      );
    }
  });

  it("records what each setting names: off nothing, request the request span, all every span", () => {
    expect(spansOf("off")).toEqual({ enabled: false, balancer: false, phases: [] });
    expect(spansOf("request")).toEqual({ enabled: true, balancer: false, phases: [] });
    expect(spansOf("all")).toEqual({
      enabled: true,
      balancer: true,
      phases: ["access", "body_filter", "header_filter"],
    });
    expect(spansOf("balancer")).toEqual({ enabled: true, balancer: true, phases: [] });
    expect(spansOf("plugin_access,plugin_header_filter")).toEqual({
      enabled: true,
      balancer: false,
      phases: ["access", "header_filter"],
    });
    expect(spansOf("router,db_query")).toEqual({ enabled: true, balancer: false, phases: [] });
    expect(recordedSpans(DEFAULT_TRACING).balancer).toBe(true);
    expect(DEFAULT_TRACING.samplingRate).toBe(1);
  });

  it("names the accepted types it records no span for, once each", () => {
    const settings = (v: string) => ({ instrumentations: parseTracingInstrumentations(v), samplingRate: 1 });
    expect(unrecorded(settings("all"))).toEqual([]);
    expect(unrecorded(settings("request,balancer,plugin_access,plugin_header_filter"))).toEqual([]);
    expect(unrecorded(settings("router,balancer,dns_query,router,plugin_rewrite"))).toEqual([
      "router",
      "dns_query",
      "plugin_rewrite",
    ]);
  });
});

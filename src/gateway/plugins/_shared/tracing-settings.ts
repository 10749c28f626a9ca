/**
 * Kong's node-level tracing settings (kong.conf `tracing_instrumentations`,
 * `tracing_sampling_rate`; KONG_TRACING_INSTRUMENTATIONS / KONG_TRACING_SAMPLING_RATE), read by
 * the tracing plugin (opentelemetry). Kong's values and messages
 * (kong/conf_loader, kong/observability/tracing/instrumentation.lua):
 * - `off`: no instrumentation; a tracing plugin only propagates (nothing is exported);
 * - `request`: only the request span (`kong`), which every setting but `off` records;
 * - `all`, or a list of: `balancer` (`kong.balancer` per upstream attempt), `plugin_access`,
 *   `plugin_header_filter` (`kong.<phase>.plugin.<name>`), and `plugin_rewrite`, `router`,
 *   `db_query`, `dns_query`, `http_client`, which Kong accepts and this gateway records no span for
 *   (`unrecorded` names them, for a warning at start).
 * Kong's defaults are `off` and 0.01; this gateway's, when the settings are not given, are `all`
 * and 1.0 (DEFAULT_TRACING): a route's opentelemetry plugin then exports what it says it does.
 */
import type { TracedPhase } from "../types.js";

/** Kong's instrumentation types (besides `off`, `all` and `request`). */
export const TRACING_INSTRUMENTATIONS = [
  "db_query",
  "dns_query",
  "router",
  "http_client",
  "balancer",
  "plugin_rewrite",
  "plugin_access",
  "plugin_header_filter",
] as const;
export type TracingInstrumentation = (typeof TRACING_INSTRUMENTATIONS)[number];
export type TracingSetting = TracingInstrumentation | "off" | "all" | "request";

/** The instrumentation types this gateway records spans for. */
const RECORDED: ReadonlySet<TracingInstrumentation> = new Set([
  "balancer",
  "plugin_access",
  "plugin_header_filter",
]);

export interface TracingSettings {
  /** as given (`["all"]`, `["off"]`, `["request", "balancer"]`…) */
  readonly instrumentations: readonly TracingSetting[];
  /** used when a tracing plugin's own `sampling_rate` is not set, 0 to 1 */
  readonly samplingRate: number;
}

export const DEFAULT_TRACING: TracingSettings = Object.freeze({
  instrumentations: Object.freeze(["all"]) as readonly TracingSetting[],
  samplingRate: 1,
});

/** What a request's trace records, from the settings. */
export interface RecordedSpans {
  /** false: `off` (the plugin only propagates) */
  readonly enabled: boolean;
  /** a `kong.balancer` span per upstream attempt (the last one is the upstream's parent) */
  readonly balancer: boolean;
  /** the plugin phases timed into `kong.<phase>.plugin.<name>` spans */
  readonly phases: ReadonlySet<TracedPhase>;
}

const ALL_PHASES: ReadonlySet<TracedPhase> = new Set(["access", "header_filter", "body_filter"]);

export function recordedSpans(settings: TracingSettings): RecordedSpans {
  const given = new Set(settings.instrumentations);
  if (given.has("off")) return { enabled: false, balancer: false, phases: new Set() };
  // `all` also times the body_filter phase (Kong has no instrumentation for it; this gateway's own span)
  if (given.has("all")) return { enabled: true, balancer: true, phases: ALL_PHASES };
  const phases = new Set<TracedPhase>();
  if (given.has("plugin_access")) phases.add("access");
  if (given.has("plugin_header_filter")) phases.add("header_filter");
  return { enabled: true, balancer: given.has("balancer"), phases };
}

/** The given types Kong accepts but this gateway records no span for (`all` names none). */
export function unrecorded(settings: TracingSettings): TracingInstrumentation[] {
  const out: TracingInstrumentation[] = [];
  for (const t of settings.instrumentations) {
    if (t === "off" || t === "all" || t === "request") continue;
    if (!RECORDED.has(t) && !out.includes(t)) out.push(t);
  }
  return out;
}

const KNOWN: ReadonlySet<string> = new Set<string>([...TRACING_INSTRUMENTATIONS, "off", "all", "request"]);

/**
 * Kong's `tracing_instrumentations` (comma separated, spaces allowed); throws Kong's message for
 * an unknown type or `off` mixed with others.
 */
export function parseTracingInstrumentations(value: string): TracingSetting[] {
  const types = value
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  if (types.length === 0)
    throw new Error("expected a comma-separated list of tracing types, such as all or off");
  for (const t of types) {
    if (!KNOWN.has(t)) throw new Error(`invalid tracing type: ${t}`);
  }
  if (types.length > 1 && types.includes("off")) {
    throw new Error("invalid tracing types: off, other types are mutually exclusive");
  }
  return types as TracingSetting[];
}

/** Kong's `tracing_sampling_rate`: a number from 0 to 1. */
export function parseTracingSamplingRate(value: string): number {
  const text = value.trim();
  const rate = Number(text);
  if (text === "" || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new Error("tracing_sampling_rate must be between 0 and 1");
  }
  return rate;
}

import { z } from "zod";

/**
 * The `stack health` report: one model, three uses — the TypeScript types the probes and
 * renderers share, the `--json` output, and the published JSON Schema
 * (schema/health-report.schema.json, generated from this file; test/health/report-schema.test.ts
 * fails when they differ, and rewrites the file when run with GATESTACK_UPDATE_SCHEMAS=1).
 *
 * Stability: field names and meanings never change within a schemaVersion; a breaking change
 * bumps schemaVersion.
 */

export const HEALTH_SCHEMA_VERSION = 1;

export const CHECK_STATUSES = ["ok", "warn", "fail"] as const;
export const checkStatusSchema = z
  .enum(CHECK_STATUSES)
  .describe("ok: working; warn: working with a caveat worth a look; fail: not working.");
export type CheckStatus = z.infer<typeof checkStatusSchema>;

export const LAYER_NAMES = ["containers", "edge", "gateway", "services", "addons", "trace"] as const;
export const layerNameSchema = z
  .enum(LAYER_NAMES)
  .describe(
    "containers: Docker state of every service; edge: Caddy; gateway: the API gateway replicas; services: the FastAPI apps; addons: Prometheus, Grafana, ELK, Jenkins (when enabled); trace: one request followed through every hop.",
  );
export type LayerName = z.infer<typeof layerNameSchema>;

export const OVERALL_STATUSES = ["healthy", "degraded", "down"] as const;
export const overallStatusSchema = z
  .enum(OVERALL_STATUSES)
  .describe(
    "healthy: every check ok or warn (exit 0); degraded: something failing but the chain serves traffic (exit 1); down: the chain Client → Caddy → gateway → app does not serve (exit 2).",
  );
export type OverallStatus = z.infer<typeof overallStatusSchema>;

export const checkResultSchema = z
  .object({
    name: z.string().describe("What was checked, e.g. 'orders through the chain' or 'gateway-1 ready'."),
    layer: layerNameSchema,
    status: checkStatusSchema,
    latencyMs: z
      .number()
      .nonnegative()
      .nullable()
      .describe(
        "Time the probe took in milliseconds; null when nothing was probed (derived from other facts).",
      ),
    detail: z.string().describe("What was observed, in plain words."),
    reason: z.string().optional().describe("Why it is not ok, in plain words (warn and fail only)."),
    hint: z.string().optional().describe("What to try next (warn and fail only)."),
  })
  .describe("One probe's result.");
export type CheckResult = z.infer<typeof checkResultSchema>;

export const layerReportSchema = z
  .object({
    name: layerNameSchema,
    status: checkStatusSchema.describe("The worst status among the layer's checks."),
    checks: z.array(checkResultSchema),
  })
  .describe("The checks of one layer.");
export type LayerReport = z.infer<typeof layerReportSchema>;

export const traceHopsSchema = z
  .object({
    edgeMs: z
      .number()
      .nonnegative()
      .nullable()
      .describe("Client ↔ Caddy, and Caddy's own time: total minus gateway and upstream time."),
    gatewayMs: z
      .number()
      .nonnegative()
      .nullable()
      .describe("Time spent in the gateway itself (X-Kong-Proxy-Latency)."),
    upstreamMs: z
      .number()
      .nonnegative()
      .nullable()
      .describe("Time the app took, as the gateway saw it (X-Kong-Upstream-Latency)."),
    totalMs: z.number().nonnegative().nullable().describe("Whole request as the client saw it."),
  })
  .describe("Time per hop; null where a hop did not report (e.g. the request never reached it).");
export type TraceHops = z.infer<typeof traceHopsSchema>;

export const traceReportSchema = z
  .object({
    requestId: z.string().describe("The fresh X-Request-ID the probe sent."),
    url: z.string().describe("The public URL the request was sent to."),
    httpStatus: z.number().int().nullable().describe("HTTP status the client received; null if none."),
    seenAt: z
      .object({
        gateway: z
          .string()
          .nullable()
          .describe("The request id in the gateway's access log line for this request; null if not found."),
        app: z
          .string()
          .nullable()
          .describe("The request id the app echoed back (X-Request-ID response header); null if none."),
      })
      .describe("The request id as each hop saw it: equal to requestId when it travelled unchanged."),
    hops: traceHopsSchema,
  })
  .describe("One request with a fresh X-Request-ID followed through Caddy → gateway → app.");
export type TraceReport = z.infer<typeof traceReportSchema>;

export const healthReportSchema = z
  .object({
    schemaVersion: z.literal(HEALTH_SCHEMA_VERSION),
    stack: z.string().describe("The stack's name (the Docker Compose project)."),
    status: overallStatusSchema,
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]).describe("0 healthy, 1 degraded, 2 down."),
    generatedAt: z.string().describe("When the report was made (ISO 8601, UTC)."),
    durationMs: z.number().nonnegative().describe("How long producing the report took."),
    layers: z
      .array(layerReportSchema)
      .describe("In order: containers, edge, gateway, services, addons, trace."),
    trace: traceReportSchema
      .nullable()
      .describe("The end-to-end trace; null when it could not be attempted."),
  })
  .describe("gatestack `stack health --json` report");
export type HealthReport = z.infer<typeof healthReportSchema>;

/** The published JSON Schema document (draft 2020-12). */
export function healthReportJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(healthReportSchema, { io: "output" }),
    title: "gatestack health report",
  };
}

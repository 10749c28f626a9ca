/** Config of Kong's `opentelemetry` plugin (Kong 3.x fields, defaults, queue and propagation). */
import { z } from "zod";
import { headerName } from "../_shared/auth-schema.js";
import { queueSchema } from "../_shared/queue-schema.js";

/** Kong's propagation formats (kong/observability/tracing/propagation/utils.lua). */
export const FORMATS = [
  "w3c",
  "b3",
  "b3-single",
  "jaeger",
  "ot",
  "datadog",
  "aws",
  "gcp",
  "instana",
] as const;
export type Format = (typeof FORMATS)[number];
/** b3 and b3-single share one extractor (b3). */
export const EXTRACTORS = ["w3c", "b3", "jaeger", "ot", "datadog", "aws", "gcp", "instana"] as const;
export type Extractor = (typeof EXTRACTORS)[number];
export const HEADER_TYPES = ["preserve", "ignore", ...FORMATS] as const;

function urlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "missing host in url";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "unsupported scheme";
  if (url.hostname === "") return "missing host in url";
  return null;
}

const urlField = (description: string) =>
  z
    .string()
    .superRefine((v, ctx) => {
      const problem = urlProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .nullish()
    .describe(description);

const timeout = (dflt: number, description: string) =>
  z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 2)
    .default(dflt)
    .describe(description);

export const propagationSchema = z
  .strictObject({
    extract: z
      .array(z.enum(EXTRACTORS))
      .nullish()
      .describe(
        "Header formats used to extract tracing context from incoming requests; the first one found is used. " +
          "Empty: no context is extracted (a new trace starts). This gateway reads w3c, b3 (and b3 single), " +
          "jaeger and ot; datadog, aws, gcp and instana are accepted and never match.",
      ),
    clear: z
      .array(headerName)
      .nullish()
      .describe("Header names to remove from the upstream request after context extraction."),
    inject: z
      .array(z.enum(["preserve", ...FORMATS]))
      .nullish()
      .describe(
        "Header formats used to inject tracing context upstream; `preserve` uses the format of the incoming " +
          "request (else `default_format`). Empty: nothing is injected. This gateway writes w3c, b3, b3-single, " +
          "jaeger and ot (datadog, aws, gcp and instana are skipped with a warning).",
      ),
    default_format: z
      .enum(FORMATS)
      .default("w3c")
      .describe("The format `preserve` injects when no incoming tracing header was extracted."),
  })
  .describe("How tracing context is read from incoming requests and written to upstream requests.");

const resourceAttributes = z
  .record(z.string(), z.string().min(1, "required field missing"))
  .nullish()
  .describe(
    "Attributes of the OpenTelemetry resource (semantic conventions). Set automatically: `service.name` " +
      "(`kong`), `service.version` (the Kong version), `service.instance.id` (the node id); entries here override them.",
  );

export const openTelemetrySchema = z
  .strictObject({
    traces_endpoint: urlField(
      "The OTLP/HTTP traces endpoint (protobuf), e.g. http://otel-collector:4318/v1/traces.",
    ),
    logs_endpoint: urlField(
      "The OTLP/HTTP logs endpoint. Accepted for compatibility; this gateway exports traces only (a warning is logged).",
    ),
    endpoint: urlField("Deprecated (Kong 3.x): the old name of `traces_endpoint`."),
    headers: z
      .record(headerName, z.string())
      .nullish()
      .describe(
        "Headers added to the requests to the OTLP server (e.g. an authentication token of the APM backend).",
      ),
    resource_attributes: resourceAttributes,
    queue: queueSchema
      .extend({
        max_batch_size: queueSchema.shape.max_batch_size
          .default(200)
          .describe("Maximum number of spans sent in one OTLP request."),
      })
      .describe("Settings of the queue that batches spans and retries failed exports.")
      .prefault({}),
    batch_span_count: z
      .number()
      .int()
      .nullish()
      .describe("Deprecated (Kong 3.x): spans per batch; use `queue.max_batch_size`."),
    batch_flush_delay: z
      .number()
      .int()
      .nullish()
      .describe("Deprecated (Kong 3.x): seconds between batches; use `queue.max_coalescing_delay`."),
    connect_timeout: timeout(1000, "Timeout in milliseconds for connecting to the OTLP server."),
    send_timeout: timeout(5000, "Timeout in milliseconds for sending a batch to the OTLP server."),
    read_timeout: timeout(5000, "Timeout in milliseconds for reading the OTLP server's answer."),
    http_response_header_for_traceid: z
      .string()
      .nullish()
      .describe("A response header that carries the trace id (32 hex digits) back to the client."),
    header_type: z
      .enum(HEADER_TYPES)
      .default("preserve")
      .describe(
        "Deprecated (Kong 3.x) in favour of `propagation`, used when `propagation` sets no extract/inject/clear: " +
          "`preserve` extracts any known format and injects the one found (else `propagation.default_format`); " +
          "`ignore` extracts nothing and injects the default format; a format extracts any and injects both the " +
          "one found and this one.",
      ),
    sampling_rate: z
      .number()
      .min(0)
      .max(1)
      .nullish()
      .describe(
        "Probability (0–1) that a trace is sampled when the incoming context does not decide it. Unset: the " +
          "gateway's tracing_sampling_rate (KONG_TRACING_SAMPLING_RATE; this gateway's default 1.0, Kong's 0.01).",
      ),
    propagation: propagationSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.traces_endpoint == null && c.endpoint == null && c.logs_endpoint == null) {
      ctx.addIssue({
        code: "custom",
        message:
          "at least one of these fields must be non-empty: 'config.traces_endpoint', 'config.logs_endpoint'",
      });
    }
  })
  .describe(
    "Traces every request with OpenTelemetry: a span for the request, each upstream attempt and each plugin " +
      "phase, exported as OTLP/HTTP protobuf in batches (the shared plugin queue); W3C traceparent/tracestate, " +
      "b3, b3-single, jaeger and ot context extracted from the request and injected upstream; the trace id in " +
      "the access log and the log plugins' entries.",
  );

export type OpenTelemetryConfig = z.output<typeof openTelemetrySchema>;
export type PropagationConfig = z.output<typeof propagationSchema>;

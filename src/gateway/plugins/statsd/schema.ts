/** Config of Kong's `statsd` plugin (Kong 3.x fields, defaults, default metric list and queue). */
import { z } from "zod";
import { between, hostField, portField } from "../_shared/address-schema.js";
import { queueSchema } from "../_shared/queue-schema.js";

export const METRIC_NAMES = [
  "kong_latency",
  "latency",
  "request_count",
  "request_per_user",
  "request_size",
  "response_size",
  "status_count",
  "status_count_per_user",
  "unique_users",
  "upstream_latency",
  "status_count_per_workspace",
  "status_count_per_user_per_route",
  "shdict_usage",
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export const STAT_TYPES = ["counter", "gauge", "histogram", "meter", "set", "timer"] as const;
export type StatType = (typeof STAT_TYPES)[number];

export const CONSUMER_IDENTIFIERS = ["consumer_id", "custom_id", "username"] as const;
export const SERVICE_IDENTIFIERS = [
  "service_id",
  "service_name",
  "service_host",
  "service_name_or_host",
] as const;
export const WORKSPACE_IDENTIFIERS = ["workspace_id", "workspace_name"] as const;
export const TAG_STYLES = ["dogstatsd", "influxdb", "librato", "signalfx"] as const;

const metricSchema = z
  .strictObject({
    name: z.enum(METRIC_NAMES).describe("StatsD metric’s name."),
    stat_type: z.enum(STAT_TYPES).describe("Determines what sort of event a metric represents."),
    sample_rate: z
      .number()
      .gt(0)
      .nullish()
      .describe(
        "Sampling rate, sent with the metric as `|@rate` (as Kong: every event is sent, the receiver scales). " +
          "Required for counters and gauges.",
      ),
    consumer_identifier: z
      .enum(CONSUMER_IDENTIFIERS)
      .nullish()
      .describe("Authenticated user detail (default: `consumer_identifier_default`)."),
    service_identifier: z
      .enum(SERVICE_IDENTIFIERS)
      .nullish()
      .describe("Service detail (default: `service_identifier_default`)."),
    workspace_identifier: z
      .enum(WORKSPACE_IDENTIFIERS)
      .nullish()
      .describe("Workspace detail (default: `workspace_identifier_default`)."),
  })
  .superRefine((m, ctx) => {
    // Kong's entity check: counters and gauges need a sample rate
    if ((m.stat_type === "counter" || m.stat_type === "gauge") && m.sample_rate == null) {
      ctx.addIssue({ code: "custom", path: ["sample_rate"], message: "required field missing" });
    }
  });

export type MetricConfig = z.output<typeof metricSchema>;

const counter = (name: MetricName) => ({ name, stat_type: "counter" as const, sample_rate: 1 });
const typed = (name: MetricName, stat_type: StatType) => ({ name, stat_type });

/** Kong's DEFAULT_METRICS, in Kong's order. */
export const DEFAULT_METRICS: MetricConfig[] = [
  counter("request_count"),
  typed("latency", "timer"),
  counter("request_size"),
  counter("status_count"),
  counter("response_size"),
  typed("unique_users", "set"),
  counter("request_per_user"),
  typed("upstream_latency", "timer"),
  typed("kong_latency", "timer"),
  counter("status_count_per_user"),
  counter("status_count_per_workspace"),
  counter("status_count_per_user_per_route"),
  { name: "shdict_usage", stat_type: "gauge", sample_rate: 1 },
];

const HOST = "The IP address or hostname of StatsD server to send data to.";
const PORT = "The port of StatsD server to send data to.";

export const statsdSchema = z
  .strictObject({
    host: hostField(HOST).default("localhost").describe(HOST),
    port: portField(PORT).default(8125).describe(`${PORT} (0–65535)`),
    prefix: z.string().default("kong").describe("String to prefix to each metric's name."),
    metrics: z
      .array(metricSchema)
      .default(DEFAULT_METRICS)
      .describe("List of metrics to be logged (default: Kong's list of every metric)."),
    allow_status_codes: z
      .array(z.string().regex(/^[0-9]+-[0-9]+$/, "invalid value"))
      .nullish()
      .describe(
        "List of status code ranges (`200-299`) that are allowed to be logged in metrics; unset: every status.",
      ),
    udp_packet_size: z
      .number()
      .superRefine(between(0, 65507))
      .default(0)
      .describe(
        "Combine UDP packets up to this size in bytes (0–65507), metrics separated by newlines; 0: one packet per metric.",
      ),
    use_tcp: z.boolean().default(false).describe("Use TCP instead of UDP (one metric per line)."),
    hostname_in_prefix: z
      .boolean()
      .default(false)
      .describe("Include the gateway's host name in the prefix (`<prefix>.node.<hostname>`)."),
    consumer_identifier_default: z
      .enum(CONSUMER_IDENTIFIERS)
      .default("custom_id")
      .describe("The consumer identifier of metrics that do not set one."),
    service_identifier_default: z
      .enum(SERVICE_IDENTIFIERS)
      .default("service_name_or_host")
      .describe("The service identifier of metrics that do not set one."),
    workspace_identifier_default: z
      .enum(WORKSPACE_IDENTIFIERS)
      .default("workspace_id")
      .describe(
        "The workspace identifier of metrics that do not set one (this gateway has one workspace, `default`).",
      ),
    retry_count: z
      .number()
      .int()
      .nullish()
      .describe("Deprecated (Kong 3.x): ignored with a warning; use `queue.max_retry_time`."),
    queue_size: z
      .number()
      .int()
      .nullish()
      .describe(
        "Deprecated (Kong 3.x): maximum number of log entries sent at once; use `queue.max_batch_size`.",
      ),
    flush_timeout: z
      .number()
      .nullish()
      .describe(
        "Deprecated (Kong 3.x): seconds before a partial batch is sent; use `queue.max_coalescing_delay`.",
      ),
    tag_style: z
      .enum(TAG_STYLES)
      .nullish()
      .describe(
        "Send metrics with tags in this style (`dogstatsd`, `influxdb`, `librato`, `signalfx`) instead of in the metric name.",
      ),
    queue: queueSchema.prefault({}),
  })
  .describe(
    "Sends Kong's StatsD metrics (prefix `kong`: request count, latencies, sizes, status counts, unique users…) " +
      "for every request to a StatsD server over UDP (or TCP), through the batching queue; never delays the " +
      "proxied response.",
  );

export type StatsdConfig = z.output<typeof statsdSchema>;

/** Config of Kong's `prometheus` plugin (Kong 3.x fields; every optional metric family off by default). */
import { z } from "zod";

export const prometheusSchema = z
  .strictObject({
    per_consumer: z
      .boolean()
      .default(false)
      .describe(
        "A boolean value that determines if per-consumer metrics should be collected. If enabled, the " +
          "`kong_http_requests_total` and `kong_bandwidth_bytes` metrics fill in the consumer label when available.",
      ),
    status_code_metrics: z
      .boolean()
      .default(false)
      .describe(
        "A boolean value that determines if status code metrics should be collected. If enabled, " +
          "`kong_http_requests_total` is exported.",
      ),
    latency_metrics: z
      .boolean()
      .default(false)
      .describe(
        "A boolean value that determines if latency metrics should be collected. If enabled, " +
          "`kong_kong_latency_ms`, `kong_upstream_latency_ms` and `kong_request_latency_ms` are exported.",
      ),
    bandwidth_metrics: z
      .boolean()
      .default(false)
      .describe(
        "A boolean value that determines if bandwidth metrics should be collected. If enabled, " +
          "`kong_bandwidth_bytes` is exported.",
      ),
    upstream_health_metrics: z
      .boolean()
      .default(false)
      .describe(
        "A boolean value that determines if upstream metrics should be collected. If enabled, " +
          "`kong_upstream_target_health` is exported.",
      ),
    ai_metrics: z
      .boolean()
      .default(false)
      .describe(
        "Accepted for compatibility with Kong's AI metrics; this gateway has no AI proxy, so nothing is exported.",
      ),
    wasm_metrics: z
      .boolean()
      .nullish()
      .describe("Accepted for compatibility; ignored (no WebAssembly filters)."),
  })
  .describe(
    "Exposes Kong-compatible Prometheus metrics (kong_http_requests_total, kong_request_latency_ms, " +
      "kong_upstream_latency_ms, kong_kong_latency_ms, kong_bandwidth_bytes, kong_upstream_target_health, node " +
      "gauges) on the Admin and Status `/metrics`, so Kong's official Grafana dashboard works unchanged.",
  );

export type PrometheusConfig = z.output<typeof prometheusSchema>;

import { GENERATED_NOTICE } from "./header.js";

/** The provisioned Prometheus datasource's uid, referenced by every panel. */
export const PROMETHEUS_DATASOURCE_UID = "prometheus";

const datasource = { type: "prometheus", uid: PROMETHEUS_DATASOURCE_UID };
const serviceFilter = 'service=~"$service"';
const rate = (selector: string) => `rate(${selector}[$__rate_interval])`;

interface Target {
  expr: string;
  legendFormat: string;
}

function target(refId: string, t: Target): Record<string, unknown> {
  return { refId, datasource, expr: t.expr, legendFormat: t.legendFormat, range: true };
}

function timeseries(
  id: number,
  title: string,
  gridPos: { x: number; y: number; w: number; h: number },
  unit: string,
  targets: Target[],
): Record<string, unknown> {
  return {
    id,
    type: "timeseries",
    title,
    datasource,
    gridPos,
    fieldConfig: { defaults: { unit, custom: { lineWidth: 1, fillOpacity: 10 } }, overrides: [] },
    options: {
      legend: { displayMode: "table", placement: "bottom", calcs: ["lastNotNull", "max"] },
      tooltip: { mode: "multi" },
    },
    targets: targets.map((t, i) => target(String.fromCharCode(65 + i), t)),
  };
}

const latencyQuantile = (q: number, metric: string, by: string) =>
  `histogram_quantile(${q}, sum by (${by}) (${rate(`${metric}_bucket{${serviceFilter}}`)}))`;

/**
 * The gateway dashboard, built from Kong's Prometheus metric names (the gatestack gateway
 * exports the same): requests/s by route and status (kong_http_requests_total), total
 * latency p50/p95/p99 (kong_request_latency_ms), upstream latency (kong_upstream_latency_ms),
 * and upstream target health per replica (kong_upstream_target_health).
 */
export function gatewayDashboard(): Record<string, unknown> {
  return {
    uid: "gatestack-gateway",
    title: "Gateway",
    description: GENERATED_NOTICE,
    tags: ["gatestack", "gateway"],
    editable: false,
    schemaVersion: 39,
    version: 1,
    refresh: "10s",
    time: { from: "now-1h", to: "now" },
    timezone: "browser",
    templating: {
      list: [
        {
          name: "service",
          label: "Service",
          type: "query",
          datasource,
          query: { query: "label_values(kong_http_requests_total, service)", refId: "service" },
          definition: "label_values(kong_http_requests_total, service)",
          refresh: 2,
          includeAll: true,
          multi: true,
          allValue: ".*",
          current: { selected: true, text: ["All"], value: ["$__all"] },
          sort: 1,
        },
      ],
    },
    panels: [
      timeseries(1, "Requests per second by route and status", { x: 0, y: 0, w: 24, h: 9 }, "reqps", [
        {
          expr: `sum by (route, code) (${rate(`kong_http_requests_total{${serviceFilter}}`)})`,
          legendFormat: "{{route}} {{code}}",
        },
      ]),
      timeseries(2, "Request latency (p50 / p95 / p99)", { x: 0, y: 9, w: 12, h: 9 }, "ms", [
        { expr: latencyQuantile(0.5, "kong_request_latency_ms", "le"), legendFormat: "p50" },
        { expr: latencyQuantile(0.95, "kong_request_latency_ms", "le"), legendFormat: "p95" },
        { expr: latencyQuantile(0.99, "kong_request_latency_ms", "le"), legendFormat: "p99" },
      ]),
      timeseries(3, "Upstream latency p95 by service", { x: 12, y: 9, w: 12, h: 9 }, "ms", [
        {
          expr: latencyQuantile(0.95, "kong_upstream_latency_ms", "le, service"),
          legendFormat: "{{service}}",
        },
      ]),
      timeseries(4, "5xx responses per second by service", { x: 0, y: 18, w: 12, h: 8 }, "reqps", [
        {
          expr: `sum by (service) (${rate(`kong_http_requests_total{${serviceFilter}, code=~"5.."}`)})`,
          legendFormat: "{{service}}",
        },
      ]),
      {
        id: 5,
        type: "stat",
        title: "Upstream target health",
        description: "1 = healthy, 0 = not healthy, per upstream target address (one per app replica).",
        datasource,
        gridPos: { x: 12, y: 18, w: 12, h: 8 },
        fieldConfig: {
          defaults: {
            mappings: [
              {
                type: "value",
                options: {
                  "0": { text: "unhealthy", color: "red" },
                  "1": { text: "healthy", color: "green" },
                },
              },
            ],
            thresholds: {
              mode: "absolute",
              steps: [
                { color: "red", value: null },
                { color: "green", value: 1 },
              ],
            },
          },
          overrides: [],
        },
        options: {
          colorMode: "background",
          graphMode: "none",
          textMode: "value_and_name",
          reduceOptions: { calcs: ["lastNotNull"] },
        },
        targets: [
          target("A", {
            expr: 'max by (upstream, address) (kong_upstream_target_health{state="healthy"})',
            legendFormat: "{{upstream}} {{address}}",
          }),
        ],
      },
    ],
  };
}

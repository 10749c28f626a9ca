/**
 * The prometheus exporter's cardinality bound, driven directly (reaching 10,000 series
 * through the proxy would take minutes): beyond MAX_SERIES_PER_METRIC series, new label
 * sets fold into route="" / consumer="" while existing series keep counting.
 */
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { exporterFor, MAX_SERIES_PER_METRIC } from "../../../src/gateway/plugins/prometheus/exporter.js";
import type { AccessLogEntry, GatewayLogger, RequestContext } from "../../../src/gateway/plugins/types.js";

const warnings: string[] = [];
const logger: GatewayLogger = { info: () => {}, warn: (m) => warnings.push(m), error: () => {} };

function request(route: string, status: number): [RequestContext, AccessLogEntry] {
  const ctx = {
    service: { name: "svc", host: "h" },
    route: { name: route, id: route },
    consumer: { id: "c1", username: "bob", custom_id: null },
    exited: false,
  } as unknown as RequestContext;
  const entry = {
    request: { size: 10 },
    response: { status, size: 20 },
    latencies: { request: 3, kong: 1, proxy: 2 },
    upstream_uri: "/",
  } as unknown as AccessLogEntry;
  return [ctx, entry];
}

describe("prometheus exporter cardinality", () => {
  it('folds new series into route="" once a family is full, and warns once', async () => {
    const registry = new Registry();
    const exporter = exporterFor(registry, "node", logger, undefined);
    const flags = { perConsumer: true, statusCodes: true, latency: false, bandwidth: false };
    for (let i = 0; i < MAX_SERIES_PER_METRIC; i++) exporter.log(...request(`r${i}`, 200), flags);
    exporter.log(...request("late-1", 200), flags);
    exporter.log(...request("late-2", 200), flags);
    exporter.log(...request("r0", 200), flags);
    const text = await registry.metrics();
    const lines = text.split("\n").filter((l) => l.startsWith("kong_http_requests_total{"));
    expect(lines).toHaveLength(MAX_SERIES_PER_METRIC + 1);
    expect(text).toContain(
      'kong_http_requests_total{service="svc",route="",code="200",source="service",workspace="default",consumer=""} 2',
    );
    expect(text).toContain(
      'kong_http_requests_total{service="svc",route="r0",code="200",source="service",workspace="default",consumer="bob"} 2',
    );
    expect(text).not.toContain('route="late-1"');
    expect(warnings.filter((w) => w.includes("kong_http_requests_total"))).toHaveLength(1);
  });
});

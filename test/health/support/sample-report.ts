import type { HealthReport } from "../../../src/health/report.js";

/** A degraded report with every kind of value, including text that must be escaped. */
export function sampleReport(over: Partial<HealthReport> = {}): HealthReport {
  return {
    schemaVersion: 1,
    stack: "shop",
    status: "degraded",
    exitCode: 1,
    generatedAt: "2026-11-27T22:00:00.000Z",
    durationMs: 812.4,
    layers: [
      {
        name: "containers",
        status: "fail",
        checks: [
          {
            name: "caddy-1",
            layer: "containers",
            status: "ok",
            latencyMs: 3.2,
            detail: "running 2 h, healthy",
          },
          {
            name: "orders-1",
            layer: "containers",
            status: "fail",
            latencyMs: 3.2,
            detail: "exited 137 (OOM-killed) 2 min ago",
            reason: "exited 137 (OOM-killed) 2 min ago",
            hint: "raise its memory limit or fix the leak; then `stack up`",
          },
        ],
      },
      {
        name: "services",
        status: "fail",
        checks: [
          {
            name: "orders through the chain",
            layer: "services",
            status: "fail",
            latencyMs: 14,
            detail: 'GET /api/orders/health: 503 <script>alert("x")</script> | pipe',
            reason: "gateway → orders: connection refused on orders:8000 (container exited 137: OOM)",
            hint: "see `stack logs orders` & <b>bold</b>",
          },
          {
            name: "users through the chain",
            layer: "services",
            status: "ok",
            latencyMs: 9.5,
            detail: "200 OK",
          },
          {
            name: "catalog through the chain",
            layer: "services",
            status: "warn",
            latencyMs: null,
            detail: "not checked",
            reason: "no route",
          },
        ],
      },
      {
        name: "trace",
        status: "ok",
        checks: [
          {
            name: "X-Request-ID through the chain",
            layer: "trace",
            status: "ok",
            latencyMs: 12,
            detail: "ok",
          },
        ],
      },
    ],
    trace: {
      requestId: "0b9e2c1a-7d44-4c39-9f7e-3e0f5b3c2a11",
      url: "https://127.0.0.1:443/api/users/health",
      httpStatus: 200,
      seenAt: {
        gateway: "0b9e2c1a-7d44-4c39-9f7e-3e0f5b3c2a11",
        app: "0b9e2c1a-7d44-4c39-9f7e-3e0f5b3c2a11",
      },
      hops: { edgeMs: 2.5, gatewayMs: 1, upstreamMs: 6, totalMs: 9.5 },
    },
    ...over,
  };
}

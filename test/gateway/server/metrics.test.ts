/**
 * The gateway's metrics registry is created on first use: prom-client (~10 MB resident) is
 * loaded only when a plugin registers metrics; /metrics still answers before that.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { GatewayMetrics, PROMETHEUS_CONTENT_TYPE } from "../../../src/gateway/metrics.js";

const SERVER = fileURLToPath(new URL("../../../dist/gateway/server.js", import.meta.url));

/** Start the built gateway in a fresh process with `config`, fetch its status /metrics, report. */
function probe(config: object): {
  promClientLoaded: boolean;
  status: number;
  contentType: string;
  body: string;
} {
  const script = `
    import { createRequire } from "node:module";
    const { startGateway } = await import(${JSON.stringify(SERVER)});
    const gw = await startGateway({
      config: ${JSON.stringify(config)},
      proxyListen: { host: "127.0.0.1", port: 0 },
      adminListen: null,
      statusListen: { host: "127.0.0.1", port: 0 },
      accessLog: false,
      logger: { info() {}, warn() {}, error() {} },
    });
    const res = await fetch(gw.statusUrl + "/metrics");
    const body = await res.text();
    const cache = createRequire(import.meta.url).cache;
    const promClientLoaded = Object.keys(cache).some((k) => k.includes("/node_modules/prom-client/"));
    console.log(JSON.stringify({ promClientLoaded, status: res.status, contentType: res.headers.get("content-type"), body }));
    await gw.close();
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 20_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

describe("gateway metrics registry", () => {
  it("renders an empty exposition without loading prom-client until a registry is asked for", async () => {
    const metrics = new GatewayMetrics();
    expect(metrics.loaded).toBe(false);
    expect(await metrics.render()).toEqual({ text: "", contentType: PROMETHEUS_CONTENT_TYPE });
    const { Counter } = await import("prom-client");
    new Counter({ name: "probe_total", help: "probe", registers: [metrics.registry] }).inc(2);
    expect(metrics.loaded).toBe(true);
    const rendered = await metrics.render();
    expect(rendered.contentType).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(rendered.text).toContain("probe_total 2");
  });

  it("a gateway without the prometheus plugin never loads prom-client; /metrics answers 200", () => {
    const r = probe({
      _format_version: "3.0",
      services: [{ name: "s", url: "http://127.0.0.1:9", routes: [{ paths: ["/"] }] }],
    });
    expect(r).toMatchObject({ promClientLoaded: false, status: 200, body: "" });
    expect(r.contentType).toBe(PROMETHEUS_CONTENT_TYPE);
  });

  it("with the prometheus plugin configured, its metrics are on /metrics", () => {
    const r = probe({
      _format_version: "3.0",
      services: [{ name: "s", url: "http://127.0.0.1:9", routes: [{ paths: ["/"] }] }],
      plugins: [{ name: "prometheus" }],
    });
    expect(r.promClientLoaded).toBe(true);
    expect(r.status).toBe(200);
    expect(r.body).toContain("kong_");
  });
});

/**
 * prometheus through the running gateway (Kong's spec/03-plugins/26-prometheus
 * re-expressed): Kong's metric names, labels and buckets on the Admin and Status
 * `/metrics`, Kong 3.x defaults (optional families off), per-consumer labels, sources,
 * upstream target health, and output that `promtool check metrics` accepts.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { servicePluginDoc } from "./_plugin-config.js";

const run = promisify(execFile);

let upstream: EchoUpstream;

beforeAll(async () => {
  upstream = await startEchoUpstream();
});

afterAll(async () => {
  await upstream.close();
});

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return res.text();
}

/** The value of the sample line `name{labels}` (labels in Kong's order), or null. */
function sample(text: string, series: string): number | null {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return null;
}

const ALL_ON = { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true };

describe("prometheus", () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;

  beforeAll(async () => {
    gw = await startTestGateway({
      _format_version: "3.0",
      consumers: [{ username: "bob", keyauth_credentials: [{ key: "bob-key" }] }],
      services: [
        {
          name: "mock-service",
          url: upstream.url,
          routes: [
            { name: "http-route", paths: ["/http"], plugins: [{ name: "prometheus", config: ALL_ON }] },
            {
              name: "auth-route",
              paths: ["/auth"],
              plugins: [
                { name: "key-auth" },
                { name: "prometheus", config: { ...ALL_ON, per_consumer: true } },
              ],
            },
            { name: "quiet-route", paths: ["/quiet"], plugins: [{ name: "prometheus" }] },
          ],
        },
        {
          name: "unnamed-host-service",
          url: upstream.url,
          routes: [{ paths: ["/no-name"], plugins: [{ name: "prometheus", config: ALL_ON }] }],
        },
      ],
    });
  });

  afterAll(async () => {
    await gw.close();
  });

  it("counts requests per service/route/code/source on the Admin and Status /metrics", async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${gw.proxyUrl}/http/x`)).status).toBe(200);
    for (const url of [gw.adminUrl!, gw.statusUrl!]) {
      const text = await scrape(url);
      expect(text).toContain("# TYPE kong_http_requests_total counter");
      expect(
        sample(
          text,
          'kong_http_requests_total{service="mock-service",route="http-route",code="200",source="service",workspace="default",consumer=""}',
        ),
      ).toBe(3);
    }
  });

  it("exports Kong's latency histograms with Kong's buckets", async () => {
    await (await fetch(`${gw.proxyUrl}/http/latency`)).text();
    const text = await scrape(gw.adminUrl!);
    const labels = 'service="mock-service",route="http-route",workspace="default"';
    const les = (name: string) =>
      [...text.matchAll(new RegExp(`^${name}_bucket\\{${labels},le="([^"]+)"\\}`, "gm"))].map((m) => m[1]);
    expect(les("kong_kong_latency_ms")).toEqual([
      ..."1 2 5 7 10 15 20 30 50 75 100 200 500 750 1000".split(" "),
      "+Inf",
    ]);
    const upstreamBuckets = [
      ..."25 50 80 100 250 400 700 1000 2000 5000 10000 30000 60000".split(" "),
      "+Inf",
    ];
    expect(les("kong_upstream_latency_ms")).toEqual(upstreamBuckets);
    expect(les("kong_request_latency_ms")).toEqual(upstreamBuckets);
    const count = sample(text, `kong_request_latency_ms_count{${labels}}`);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(sample(text, `kong_request_latency_ms_bucket{${labels},le="+Inf"}`)).toBe(count);
    expect(sample(text, `kong_request_latency_ms_sum{${labels}}`)).toBeGreaterThanOrEqual(0);
  });

  it("counts ingress and egress bandwidth", async () => {
    await (await fetch(`${gw.proxyUrl}/http/bytes`, { method: "POST", body: "x".repeat(1000) })).text();
    const text = await scrape(gw.adminUrl!);
    const ingress = sample(
      text,
      'kong_bandwidth_bytes{service="mock-service",route="http-route",direction="ingress",workspace="default",consumer=""}',
    );
    const egress = sample(
      text,
      'kong_bandwidth_bytes{service="mock-service",route="http-route",direction="egress",workspace="default",consumer=""}',
    );
    expect(ingress).toBeGreaterThan(1000);
    expect(egress).toBeGreaterThan(1000);
  });

  it("labels the consumer with per_consumer, and plugin answers with source kong", async () => {
    expect((await fetch(`${gw.proxyUrl}/auth`, { headers: { apikey: "bob-key" } })).status).toBe(200);
    expect((await fetch(`${gw.proxyUrl}/auth`)).status).toBe(401);
    const text = await scrape(gw.adminUrl!);
    expect(
      sample(
        text,
        'kong_http_requests_total{service="mock-service",route="auth-route",code="200",source="service",workspace="default",consumer="bob"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'kong_http_requests_total{service="mock-service",route="auth-route",code="401",source="kong",workspace="default",consumer=""}',
      ),
    ).toBe(1);
  });

  it("uses the service host and route id when they have no name", async () => {
    await (await fetch(`${gw.proxyUrl}/no-name`)).text();
    const text = await scrape(gw.adminUrl!);
    expect(text).toMatch(
      /kong_http_requests_total\{service="unnamed-host-service",route="[0-9a-f-]{36}",code="200",source="service",workspace="default",consumer=""\} 1/,
    );
  });

  it("records nothing optional with Kong 3.x defaults (every family off)", async () => {
    await (await fetch(`${gw.proxyUrl}/quiet`)).text();
    const text = await scrape(gw.adminUrl!);
    expect(text).not.toContain('route="quiet-route"');
  });

  it("exports node-level gauges: datastore, node info, connections, requests", async () => {
    const text = await scrape(gw.statusUrl!);
    expect(sample(text, "kong_datastore_reachable")).toBe(1);
    expect(text).toMatch(/^kong_node_info\{node_id="[0-9a-f-]{36}",version="3\.\d+\.\d+"\} 1$/m);
    expect(text).toMatch(
      /^kong_nginx_connections_total\{node_id="[^"]+",subsystem="http",state="accepted"\} \d+$/m,
    );
    expect(text).toMatch(
      /^kong_nginx_connections_total\{node_id="[^"]+",subsystem="http",state="active"\} \d+$/m,
    );
    expect(text).toMatch(/^kong_nginx_requests_total\{node_id="[^"]+",subsystem="http"\} [1-9]\d*$/m);
    expect(text).toMatch(
      /^kong_memory_workers_lua_vms_bytes\{node_id="[^"]+",pid="\d+",kong_subsystem="http"\} \d+$/m,
    );
  });

  it("produces exposition text that promtool accepts", async () => {
    const text = await scrape(gw.adminUrl!);
    const child = run("promtool", ["check", "metrics"]);
    child.child.stdin?.end(text);
    const { stdout, stderr } = await child.catch((err: { stdout: string; stderr: string }) => err);
    // promtool lints (e.g. counters without _total) are warnings; errors make it exit non-zero
    expect(`${stdout}${stderr}`).not.toMatch(/error while linting|text format parsing error/);
  });

  it("keeps its counters across a configuration reload", async () => {
    const doc = servicePluginDoc(upstream.url, { name: "prometheus", config: ALL_ON }, "/r");
    const g = await startTestGateway(doc);
    try {
      await (await fetch(`${g.proxyUrl}/r`)).text();
      await g.apply(doc);
      await (await fetch(`${g.proxyUrl}/r`)).text();
      const text = await scrape(g.adminUrl!);
      expect(
        sample(
          text,
          'kong_http_requests_total{service="svc",route="r-r",code="200",source="service",workspace="default",consumer=""}',
        ),
      ).toBe(2);
    } finally {
      await g.close();
    }
  });
});

describe("prometheus upstream target health", () => {
  it("reports each target address with Kong's states when upstream_health_metrics is on", async () => {
    const gw = await startTestGateway({
      _format_version: "3.0",
      upstreams: [
        {
          name: "backend",
          targets: [{ target: `127.0.0.1:${upstream.port}` }],
          healthchecks: {
            active: {
              http_path: "/",
              healthy: { interval: 0.1, successes: 1 },
              unhealthy: { interval: 0.1, http_failures: 1 },
            },
          },
        },
        { name: "plain", targets: [{ target: `127.0.0.1:${upstream.port}` }] },
      ],
      services: [{ name: "via-upstream", host: "backend", routes: [{ paths: ["/u"] }] }],
      plugins: [{ name: "prometheus", config: { upstream_health_metrics: true } }],
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const text = await scrape(gw.adminUrl!);
      const target = `127.0.0.1:${upstream.port}`;
      const series = (up: string, state: string) =>
        `kong_upstream_target_health{upstream="${up}",target="${target}",address="${target}",state="${state}",subsystem="http"}`;
      expect(sample(text, series("backend", "healthy"))).toBe(1);
      expect(sample(text, series("backend", "unhealthy"))).toBe(0);
      expect(sample(text, series("backend", "dns_error"))).toBe(0);
      expect(sample(text, series("plain", "healthchecks_off"))).toBe(1);
    } finally {
      await gw.close();
    }
  });

  it("exports no target health when no prometheus plugin asks for it", async () => {
    const gw = await startTestGateway({
      _format_version: "3.0",
      upstreams: [{ name: "backend", targets: [{ target: `127.0.0.1:${upstream.port}` }] }],
      services: [{ name: "s", host: "backend", routes: [{ paths: ["/u"] }] }],
      plugins: [{ name: "prometheus" }],
    });
    try {
      const text = await scrape(gw.adminUrl!);
      expect(text).not.toMatch(/^kong_upstream_target_health\{/m);
    } finally {
      await gw.close();
    }
  });
});

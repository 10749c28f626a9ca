import { describe, expect, it } from "vitest";
import { GENERATED_NOTICE } from "../../src/render/header.js";
import { ALL_ADDONS, monolithStack } from "./fixtures.js";
import { artifact, artifactsOf, yamlOf } from "./support.js";

const DIR = "config/grafana/provisioning";

interface Panel {
  title: string;
  type: string;
  datasource: { uid: string };
  targets: Array<{ expr: string; datasource: { uid: string } }>;
}

describe("Grafana provisioning", () => {
  const artifacts = artifactsOf(monolithStack({}, ALL_ADDONS));

  it("provisions the Prometheus datasource and a file dashboard provider", () => {
    const ds = yamlOf<{ datasources: Array<Record<string, unknown>> }>(
      artifacts,
      `${DIR}/datasources/prometheus.yaml`,
    );
    expect(ds.datasources).toEqual([
      expect.objectContaining({
        uid: "prometheus",
        type: "prometheus",
        url: "http://prometheus:9090",
        isDefault: true,
      }),
    ]);
    const providers = yamlOf<{ providers: Array<{ type: string; options: { path: string } }> }>(
      artifacts,
      `${DIR}/dashboards/dashboards.yaml`,
    );
    expect(providers.providers[0]).toMatchObject({
      type: "file",
      options: { path: "/etc/grafana/provisioning/dashboards" },
    });
  });

  it("builds a gateway dashboard from Kong's metric names", () => {
    const dashboard = JSON.parse(artifact(artifacts, `${DIR}/dashboards/gateway.json`).content) as {
      uid: string;
      description: string;
      panels: Panel[];
    };
    expect(dashboard.uid).toBe("gatestack-gateway");
    expect(dashboard.description).toBe(GENERATED_NOTICE);
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const byTitle = (re: RegExp) => dashboard.panels.find((p) => re.test(p.title))!;

    const rps = byTitle(/Requests per second/);
    expect(rps.targets[0]!.expr).toMatch(/sum by \(route, code\) \(rate\(kong_http_requests_total/);
    const latency = byTitle(/latency \(p50/);
    expect(
      latency.targets.map(
        (t) => t.expr.match(/histogram_quantile\(([\d.]+), .*kong_request_latency_ms_bucket/)?.[1],
      ),
    ).toEqual(["0.5", "0.95", "0.99"]);
    expect(byTitle(/target health/).targets[0]!.expr).toContain("kong_upstream_target_health");
    expect(exprs.some((e) => e.includes("kong_upstream_latency_ms_bucket"))).toBe(true);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid).toBe("prometheus");
      for (const t of panel.targets) expect(t.datasource.uid).toBe("prometheus");
    }
  });

  it("is rendered only when Grafana and Prometheus are both enabled", () => {
    const has = (stack: ReturnType<typeof monolithStack>) =>
      artifactsOf(stack).some((a) => a.path.startsWith(DIR));
    expect(has(monolithStack({}, { grafana: true }))).toBe(false);
    expect(has(monolithStack({}, { prometheus: true }))).toBe(false);
    expect(has(monolithStack({}, { grafana: true, prometheus: true }))).toBe(true);
  });
});

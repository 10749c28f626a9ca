import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROMETHEUS_CONFIG_PATH } from "../../src/render/prometheus.js";
import { microservicesStack, stackMatrix } from "./fixtures.js";
import { artifactsOf, mapLimit, tempDir, yamlOf } from "./support.js";

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("gatestack-prom-");
});
afterAll(() => work.cleanup());

describe("prometheus.yml", () => {
  it("passes `promtool check config` for every stack with the monitoring addon", async () => {
    const withPrometheus = stackMatrix().filter(({ stack }) => stack.addons.prometheus.enabled);
    expect(withPrometheus.length).toBeGreaterThan(4);
    const results = await mapLimit(withPrometheus, 2, async ({ label, stack }) => {
      const file = join(work.dir, `${label.replace(/[^a-z0-9]+/gi, "-")}.yml`);
      const content = artifactsOf(stack).find((a) => a.path === PROMETHEUS_CONFIG_PATH)!.content;
      await writeFile(file, content);
      const r = await execa("promtool", ["check", "config", file], { reject: false });
      return { label, exitCode: r.exitCode, output: `${r.stdout}\n${r.stderr}` };
    });
    for (const r of results) {
      expect(r.exitCode, `${r.label}: ${r.output}`).toBe(0);
      expect(r.output).toContain("SUCCESS");
    }
  });

  it("is only generated with the prometheus addon", () => {
    const paths = artifactsOf(microservicesStack()).map((a) => a.path);
    expect(paths).not.toContain(PROMETHEUS_CONFIG_PATH);
  });

  it("scrapes itself, caddy's internal listener and every gateway replica (apps are seen through the gateway)", () => {
    const doc = yamlOf<{ scrape_configs: Array<Record<string, unknown>> }>(
      artifactsOf(microservicesStack({}, { prometheus: true })),
      PROMETHEUS_CONFIG_PATH,
    );
    const jobs = Object.fromEntries(doc.scrape_configs.map((j) => [j.job_name as string, j]));
    expect(Object.keys(jobs)).toEqual(["prometheus", "caddy", "gateway"]);
    expect(jobs.prometheus!.static_configs).toEqual([{ targets: ["localhost:9090"] }]);
    expect(jobs.caddy!.static_configs).toEqual([{ targets: ["caddy:9180"] }]);
    expect(jobs.gateway!.dns_sd_configs).toEqual([
      { names: ["gateway"], type: "A", port: 8100, refresh_interval: "15s" },
    ]);
  });
});

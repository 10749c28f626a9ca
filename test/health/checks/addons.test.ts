import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addonChecks } from "../../../src/health/checks/addons.js";
import type { ContainerFacts } from "../../../src/health/facts.js";
import { InContainerHttp } from "../../../src/health/probe/in-container.js";
import type { AddonTarget, HealthTargets } from "../../../src/health/targets.js";
import { localExec } from "../support/local-exec.js";
import { fact } from "../support/local-stack.js";
import { refusedPort } from "../support/servers.js";

/**
 * Addon checks against one local server answering like each tool (paths and bodies of
 * Prometheus, Grafana, Elasticsearch, Kibana, Logstash, Jenkins), with the answers switchable.
 */
describe("addon checks", () => {
  let server: Server;
  let base: string;
  const answers: Record<string, { status: number; body: unknown }> = {};
  const healthy = () => {
    Object.assign(answers, {
      "/-/ready": { status: 200, body: "Prometheus Server is Ready." },
      "/api/v1/targets": {
        status: 200,
        body: {
          status: "success",
          data: {
            activeTargets: [
              { health: "up", scrapeUrl: "http://caddy:9180/metrics" },
              { health: "up", scrapeUrl: "http://shop-gateway-1:8100/metrics" },
            ],
          },
        },
      },
      "/grafana/api/health": { status: 200, body: { database: "ok", version: "11.2.0" } },
      "/_cluster/health": { status: 200, body: { cluster_name: "docker-cluster", status: "green" } },
      "/kibana/api/status": { status: 200, body: { status: { overall: { level: "available" } } } },
      "/": { status: 200, body: { status: "green", version: "8.15.0" } },
      "/jenkins/login": { status: 200, body: "<html>login</html>" },
    });
  };

  beforeAll(async () => {
    healthy();
    server = createServer((req, res) => {
      const a = answers[(req.url ?? "/").split("?")[0] ?? "/"] ?? { status: 404, body: { message: "nope" } };
      res.writeHead(a.status, { "content-type": "application/json" });
      res.end(typeof a.body === "string" ? a.body : JSON.stringify(a.body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const addon = (
    name: AddonTarget["name"],
    path: string,
    profile: string,
    detailPath?: string,
  ): AddonTarget => ({
    name,
    service: name,
    profile,
    url: `${base}${path}`,
    ...(detailPath ? { detailUrl: `${base}${detailPath}` } : {}),
  });
  const all = (): AddonTarget[] => [
    addon("prometheus", "/-/ready", "monitoring", "/api/v1/targets?state=active"),
    addon("grafana", "/grafana/api/health", "monitoring"),
    addon("elasticsearch", "/_cluster/health", "logging"),
    addon("logstash", "/", "logging"),
    addon("kibana", "/kibana/api/status", "logging"),
    addon("jenkins", "/jenkins/login", "ci"),
  ];
  const facts = (over: ContainerFacts[] = []): ContainerFacts[] => [
    fact("gateway", 1),
    ...["prometheus", "grafana", "elasticsearch", "logstash", "kibana", "jenkins"]
      .filter((s) => !over.some((o) => o.service === s))
      .map((s) => fact(s, 1, { networks: { edge: "10.0.0.9" } })),
    ...over,
  ];
  const run = (addons = all(), f = facts()) =>
    addonChecks({
      targets: { addons } as unknown as HealthTargets,
      facts: f,
      timeoutMs: 1500,
      inContainer: new InContainerHttp(localExec, "curl"),
      readLogs: async () => [],
      now: new Date(),
    });

  it("no addon enabled: no addons layer", async () => {
    expect(await run([])).toBeNull();
  });

  it("all healthy", async () => {
    const layer = await run();
    expect(layer?.checks.map((c) => [c.name, c.status, c.detail.replace(/ in [\d.]+ ms$/, "")])).toEqual([
      ["prometheus", "ok", "ready, 2/2 targets up"],
      ["grafana", "ok", "/api/health 200 OK, database ok"],
      ["elasticsearch", "ok", "cluster green"],
      ["logstash", "ok", "API 200 OK, green"],
      ["kibana", "ok", "/api/status available"],
      ["jenkins", "ok", "/login 200 OK"],
    ]);
  });

  it("faults: a target down, yellow and red clusters, degraded Kibana, Grafana database, Jenkins 503", async () => {
    answers["/api/v1/targets"] = {
      status: 200,
      body: {
        data: {
          activeTargets: [
            { health: "up", scrapeUrl: "http://caddy:9180/metrics" },
            {
              health: "down",
              scrapeUrl: "http://shop-gateway-2:8100/metrics",
              lastError: "connection refused",
            },
          ],
        },
      },
    };
    answers["/grafana/api/health"] = { status: 503, body: { database: "failing" } };
    answers["/_cluster/health"] = { status: 200, body: { status: "yellow" } };
    answers["/kibana/api/status"] = { status: 200, body: { status: { overall: { level: "degraded" } } } };
    answers["/jenkins/login"] = { status: 503, body: "starting" };
    try {
      const layer = await run();
      const by = (n: string) => layer!.checks.find((c) => c.name === n)!;
      expect(by("prometheus")).toMatchObject({
        status: "warn",
        reason: "1 scrape target down, e.g. http://shop-gateway-2:8100/metrics: connection refused",
      });
      expect(by("grafana")).toMatchObject({ status: "fail", reason: "Grafana reports database failing" });
      expect(by("elasticsearch")).toMatchObject({
        status: "warn",
        detail: expect.stringMatching(/^cluster yellow/),
      });
      expect(by("kibana")).toMatchObject({ status: "warn", reason: "Kibana reports degraded status" });
      expect(by("jenkins")).toMatchObject({
        status: "fail",
        reason: "/login answered 503 Service Unavailable: starting",
      });
      answers["/_cluster/health"] = { status: 200, body: { status: "red" } };
      const red = await run();
      expect(red!.checks.find((c) => c.name === "elasticsearch")).toMatchObject({
        status: "fail",
        reason: "primary shards are unassigned: some data is unavailable",
      });
    } finally {
      healthy();
    }
  });

  it("not started, stopped and unreachable addons", async () => {
    const port = await refusedPort();
    const layer = await run(
      [
        addon("prometheus", "/-/ready", "monitoring"),
        {
          ...addon("kibana", "/kibana/api/status", "logging"),
          url: `http://127.0.0.1:${port}/kibana/api/status`,
        },
        addon("jenkins", "/jenkins/login", "ci"),
      ],
      [
        fact("gateway", 1),
        fact("prometheus", 1, { running: false, state: "exited", exitCode: 137, oomKilled: true }),
        fact("kibana", 1),
      ],
    );
    const by = (n: string) => layer!.checks.find((c) => c.name === n)!;
    expect(by("prometheus")).toMatchObject({
      status: "fail",
      reason: "container shop-prometheus-1 exited 137: OOM",
    });
    expect(by("kibana")).toMatchObject({
      status: "fail",
      reason: `gateway → 127.0.0.1:${port}/kibana/api/status: connection refused on 127.0.0.1:${port}`,
    });
    expect(by("jenkins")).toMatchObject({
      status: "warn",
      detail: "not started (compose profile ci)",
      hint: "start it with `stack up --profile ci`",
    });
  });
});

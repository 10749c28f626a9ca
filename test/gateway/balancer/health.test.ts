/**
 * Active and passive health checks (Kong's 10-balancer/01-healthchecks_spec.lua, re-expressed)
 * and the Admin `/upstreams/{name}/health` report in Kong's shape.
 */
import { describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import {
  type EchoUpstream,
  rawRequest,
  startEchoUpstream,
  startTestGateway,
  testGatewaysClosedBy,
  until,
} from "../../support/gateway.js";

const cleanups = cleanupsAfterEach();

/** An upstream whose /health status can be switched, counting probes. */
async function checkable(): Promise<EchoUpstream & { healthStatus: number; probes: number }> {
  const state = { healthStatus: 200, probes: 0 };
  const up = await startEchoUpstream({
    handler: (req, res) => {
      if (req.url === "/health") {
        state.probes++;
        res.writeHead(state.healthStatus);
        res.end();
        return true;
      }
      return false;
    },
  });
  cleanups.push(() => up.close());
  return Object.defineProperties(up, {
    healthStatus: {
      get: () => state.healthStatus,
      set: (v: number) => {
        state.healthStatus = v;
      },
    },
    probes: { get: () => state.probes },
  }) as EchoUpstream & { healthStatus: number; probes: number };
}

const gateway = testGatewaysClosedBy(cleanups);

interface HealthReport {
  data: Array<{
    target: string;
    health: string;
    data: { addresses: Array<{ ip: string; port: number; health: string }> };
  }>;
  total: number;
}

async function health(gw: Gateway, upstream = "pool"): Promise<Record<string, string>> {
  const res = await fetch(`${gw.adminUrl}/upstreams/${upstream}/health`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as HealthReport;
  return Object.fromEntries(body.data.map((t) => [t.target, t.health]));
}

const ACTIVE = {
  active: {
    http_path: "/health",
    timeout: 1,
    healthy: { interval: 0.1, successes: 2 },
    unhealthy: { interval: 0.1, http_failures: 2, tcp_failures: 1, timeouts: 1 },
  },
};

describe("active health checks", () => {
  it("a failing target turns UNHEALTHY, gets no traffic, and comes back after successes", async () => {
    const a = await checkable();
    const b = await checkable();
    const gw = await gateway({
      _format_version: "3.0",
      services: [{ name: "svc", host: "pool", routes: [{ paths: ["/"] }] }],
      upstreams: [
        {
          name: "pool",
          healthchecks: ACTIVE,
          targets: [{ target: `127.0.0.1:${a.port}` }, { target: `127.0.0.1:${b.port}` }],
        },
      ],
    });
    const ta = `127.0.0.1:${a.port}`;
    const tb = `127.0.0.1:${b.port}`;
    expect(await health(gw)).toEqual({ [ta]: "HEALTHY", [tb]: "HEALTHY" });
    a.healthStatus = 500;
    await until(async () => (await health(gw))[ta] === "UNHEALTHY");
    expect((await health(gw))[tb]).toBe("HEALTHY");
    const before = a.requests.filter((r) => r.path !== "/health").length;
    for (let i = 0; i < 10; i++) expect((await rawRequest(gw.proxyUrl, "/work")).status).toBe(200);
    expect(a.requests.filter((r) => r.path !== "/health").length).toBe(before);
    a.healthStatus = 200;
    await until(async () => (await health(gw))[ta] === "HEALTHY");
  });

  it("all targets unhealthy → 503 failure to get a peer", async () => {
    const a = await checkable();
    a.healthStatus = 503;
    const gw = await gateway({
      _format_version: "3.0",
      services: [{ name: "svc", host: "pool", routes: [{ paths: ["/"] }] }],
      upstreams: [{ name: "pool", healthchecks: ACTIVE, targets: [{ target: `127.0.0.1:${a.port}` }] }],
    });
    await until(async () => (await health(gw))[`127.0.0.1:${a.port}`] === "UNHEALTHY");
    const res = await rawRequest(gw.proxyUrl, "/");
    expect(res.status).toBe(503);
    expect((res.json as { message: string }).message).toBe("failure to get a peer from the ring-balancer");
  });

  it("probe timers stop when the configuration is replaced and when the gateway closes", async () => {
    const a = await checkable();
    const doc = {
      _format_version: "3.0",
      services: [{ name: "svc", host: "pool", routes: [{ paths: ["/"] }] }],
      upstreams: [{ name: "pool", healthchecks: ACTIVE, targets: [{ target: `127.0.0.1:${a.port}` }] }],
    };
    const gw = await startTestGateway(doc);
    await until(() => a.probes >= 2);
    await gw.apply({
      _format_version: "3.0",
      services: [{ name: "svc", url: a.url, routes: [{ paths: ["/"] }] }],
    });
    await new Promise((r) => setTimeout(r, 150));
    const afterSwap = a.probes;
    await new Promise((r) => setTimeout(r, 400));
    expect(a.probes).toBe(afterSwap);
    await gw.apply(doc);
    await until(() => a.probes >= afterSwap + 2);
    await gw.close();
    await new Promise((r) => setTimeout(r, 150));
    const afterClose = a.probes;
    await new Promise((r) => setTimeout(r, 400));
    expect(a.probes).toBe(afterClose);
  });
});

describe("passive health checks", () => {
  it("connection failures from proxied traffic mark a target UNHEALTHY", async () => {
    const alive = await checkable();
    const gw = await gateway({
      _format_version: "3.0",
      services: [{ name: "svc", host: "pool", retries: 2, routes: [{ paths: ["/"] }] }],
      upstreams: [
        {
          name: "pool",
          healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } },
          targets: [{ target: "127.0.0.1:9" }, { target: `127.0.0.1:${alive.port}` }],
        },
      ],
    });
    for (let i = 0; i < 6; i++) expect((await rawRequest(gw.proxyUrl, "/")).status).toBe(200);
    const h = await health(gw);
    expect(h["127.0.0.1:9"]).toBe("UNHEALTHY");
    expect(h[`127.0.0.1:${alive.port}`]).toBe("HEALTHY");
  });

  it("unhealthy statuses from proxied responses count as http failures", async () => {
    const failing = await startEchoUpstream({ status: 500 });
    cleanups.push(() => failing.close());
    const fine = await checkable();
    const gw = await gateway({
      _format_version: "3.0",
      services: [{ name: "svc", host: "pool", routes: [{ paths: ["/"] }] }],
      upstreams: [
        {
          name: "pool",
          healthchecks: { passive: { unhealthy: { http_failures: 2, http_statuses: [500] } } },
          targets: [{ target: `127.0.0.1:${failing.port}` }, { target: `127.0.0.1:${fine.port}` }],
        },
      ],
    });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await rawRequest(gw.proxyUrl, "/")).status);
    // the failing target answered twice (500) before being taken out
    expect(statuses.filter((s) => s === 500)).toHaveLength(2);
    expect(failing.requests).toHaveLength(2);
    expect((await health(gw))[`127.0.0.1:${failing.port}`]).toBe("UNHEALTHY");
  });
});

describe("the health report", () => {
  it("says HEALTHCHECKS_OFF without checks, lists addresses, 404 for an unknown upstream", async () => {
    const a = await checkable();
    const gw = await gateway({
      _format_version: "3.0",
      upstreams: [{ name: "plain", targets: [{ target: `127.0.0.1:${a.port}`, weight: 50 }] }],
    });
    const res = await fetch(`${gw.adminUrl}/upstreams/plain/health`);
    const body = (await res.json()) as HealthReport & { data: Array<Record<string, unknown>> };
    expect(body.total).toBe(1);
    expect(body.data[0]).toMatchObject({
      target: `127.0.0.1:${a.port}`,
      weight: 50,
      health: "HEALTHCHECKS_OFF",
      data: { addresses: [{ ip: "127.0.0.1", port: a.port, weight: 50, health: "HEALTHCHECKS_OFF" }] },
    });
    expect((await fetch(`${gw.adminUrl}/upstreams/nope/health`)).status).toBe(404);
  });
});

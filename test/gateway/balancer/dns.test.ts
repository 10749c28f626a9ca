/**
 * Host names that resolve to several addresses: one balancer entry per address, re-resolved
 * periodically (`docker compose up --scale app=3` picked up without a reload). DNS of
 * arbitrary names cannot be controlled here, so the resolver is injected (GatewayOptions.
 * resolver); a real lookup of `localhost` covers the system resolver.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import type { ResolvedAddress } from "../../../src/gateway/balancer/dns.js";
import type { Gateway } from "../../../src/gateway/server.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { rawRequest, startTestGateway, until } from "../../support/gateway.js";

const cleanups = cleanupsAfterEach();

/** Replicas of one app on 127.0.0.1, .2, .3 … sharing a port; each answers with its address. */
async function replicas(n: number): Promise<{ port: number; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  let port = 0;
  for (let i = 1; i <= n; i++) {
    const ip = `127.0.0.${i}`;
    const server = createServer((req, res) => {
      hits.set(ip, (hits.get(ip) ?? 0) + 1);
      req.resume();
      res.end(ip);
    });
    await new Promise<void>((r) => server.listen(port, ip, r));
    port = (server.address() as AddressInfo).port;
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
    );
  }
  return { port, hits };
}

function fakeDns(initial: Record<string, string[]>) {
  const records = new Map(Object.entries(initial));
  let lookups = 0;
  return {
    records,
    get lookups() {
      return lookups;
    },
    resolver: async (host: string): Promise<ResolvedAddress[]> => {
      lookups++;
      const list = records.get(host);
      if (list === undefined)
        throw Object.assign(new Error(`queryA ENOTFOUND ${host}`), { code: "ENOTFOUND" });
      return list.map((address) => ({ address, family: 4 as const }));
    },
  };
}

async function spread(gw: Gateway, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await rawRequest(gw.proxyUrl, "/");
    expect(res.status).toBe(200);
    seen[res.body] = (seen[res.body] ?? 0) + 1;
  }
  return seen;
}

describe("DNS expansion", () => {
  it("an upstream target host name expands into one entry per address and follows scaling", async () => {
    const { port } = await replicas(3);
    const dns = fakeDns({ "app.internal": ["127.0.0.1"] });
    const gw = await startTestGateway(
      {
        _format_version: "3.0",
        services: [{ name: "app", host: "app-upstream", routes: [{ paths: ["/"] }] }],
        upstreams: [{ name: "app-upstream", targets: [{ target: `app.internal:${port}` }] }],
      },
      { resolver: dns.resolver, dnsRefreshMs: 50 },
    );
    cleanups.push(() => gw.close());
    expect(await spread(gw, 6)).toEqual({ "127.0.0.1": 6 });

    // docker compose up --scale app=3
    dns.records.set("app.internal", ["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
    await until(async () => Object.keys(await spread(gw, 3)).length === 3);
    expect(await spread(gw, 30)).toEqual({ "127.0.0.1": 10, "127.0.0.2": 10, "127.0.0.3": 10 });

    const health = (await (await fetch(`${gw.adminUrl}/upstreams/app-upstream/health`)).json()) as {
      data: Array<{ target: string; data: { addresses: Array<{ ip: string }> } }>;
    };
    expect(health.data[0]!.target).toBe(`app.internal:${port}`);
    expect(health.data[0]!.data.addresses.map((a) => a.ip)).toEqual(["127.0.0.1", "127.0.0.2", "127.0.0.3"]);

    // scale down to 2
    dns.records.set("app.internal", ["127.0.0.2", "127.0.0.3"]);
    await until(async () => !("127.0.0.1" in (await spread(gw, 4))));
    expect(await spread(gw, 10)).toEqual({ "127.0.0.2": 5, "127.0.0.3": 5 });
  });

  it("a service host that is not an upstream is balanced over all its addresses", async () => {
    const { port } = await replicas(2);
    const dns = fakeDns({ "api.internal": ["127.0.0.1", "127.0.0.2"] });
    const gw = await startTestGateway(
      {
        _format_version: "3.0",
        services: [{ name: "api", url: `http://api.internal:${port}`, routes: [{ paths: ["/"] }] }],
      },
      { resolver: dns.resolver, dnsRefreshMs: 60_000 },
    );
    cleanups.push(() => gw.close());
    expect(await spread(gw, 8)).toEqual({ "127.0.0.1": 4, "127.0.0.2": 4 });
  });

  it("a name that does not resolve: DNS_ERROR in the report, 503 name resolution failed; resolved later, it serves", async () => {
    const { port } = await replicas(1);
    const dns = fakeDns({});
    const gw = await startTestGateway(
      {
        _format_version: "3.0",
        services: [{ name: "app", host: "late-upstream", routes: [{ paths: ["/"] }] }],
        upstreams: [{ name: "late-upstream", targets: [{ target: `late.internal:${port}` }] }],
      },
      { resolver: dns.resolver, dnsRefreshMs: 50 },
    );
    cleanups.push(() => gw.close());
    const health = (await (await fetch(`${gw.adminUrl}/upstreams/late-upstream/health`)).json()) as {
      data: Array<{ health: string }>;
    };
    expect(health.data[0]!.health).toBe("DNS_ERROR");
    const res = await rawRequest(gw.proxyUrl, "/");
    expect(res.status).toBe(503);
    expect((res.json as { message: string }).message).toBe("name resolution failed");
    dns.records.set("late.internal", ["127.0.0.1"]);
    await until(async () => (await rawRequest(gw.proxyUrl, "/")).status === 200);
  });

  it("a stopped replica's record vanishing drops it at the next refresh; a failing resolver keeps the last addresses", async () => {
    const { port } = await replicas(2);
    const dns = fakeDns({ "app.internal": ["127.0.0.1", "127.0.0.2"] });
    let resolverDown = false;
    const gw = await startTestGateway(
      {
        _format_version: "3.0",
        services: [{ name: "app", host: "app-upstream", routes: [{ paths: ["/"] }] }],
        upstreams: [{ name: "app-upstream", targets: [{ target: `app.internal:${port}` }] }],
      },
      {
        resolver: async (host) => {
          if (resolverDown) throw Object.assign(new Error("getaddrinfo EAI_AGAIN"), { code: "EAI_AGAIN" });
          return dns.resolver(host);
        },
        dnsRefreshMs: 50,
      },
    );
    cleanups.push(() => gw.close());
    const addresses = async () => {
      const body = (await (await fetch(`${gw.adminUrl}/upstreams/app-upstream/health`)).json()) as {
        data: Array<{ health: string; data: { addresses: Array<{ ip: string }> } }>;
      };
      return { health: body.data[0]!.health, ips: body.data[0]!.data.addresses.map((a) => a.ip) };
    };
    expect((await addresses()).ips).toEqual(["127.0.0.1", "127.0.0.2"]);
    // the DNS server cannot be reached: serving goes on with what was known
    resolverDown = true;
    await new Promise((r) => setTimeout(r, 200));
    expect((await addresses()).ips).toEqual(["127.0.0.1", "127.0.0.2"]);
    expect(await spread(gw, 4)).toEqual({ "127.0.0.1": 2, "127.0.0.2": 2 });
    resolverDown = false;
    // one replica stopped: Docker removed its record
    dns.records.set("app.internal", ["127.0.0.2"]);
    await until(async () => (await addresses()).ips.length === 1, 2000);
    expect(await spread(gw, 4)).toEqual({ "127.0.0.2": 4 });
    // the last one stopped: the name is gone (NXDOMAIN), so is every address
    dns.records.delete("app.internal");
    await until(async () => (await addresses()).health === "DNS_ERROR", 2000);
    const res = await rawRequest(gw.proxyUrl, "/");
    expect(res.status).toBe(503);
  });

  it("re-resolution runs every 2 s by default and never piles up lookups on a slow resolver", async () => {
    const { port } = await replicas(1);
    let lookups = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const gw = await startTestGateway(
      {
        _format_version: "3.0",
        services: [{ name: "app", host: "app-upstream", routes: [{ paths: ["/"] }] }],
        upstreams: [{ name: "app-upstream", targets: [{ target: `slow.internal:${port}` }] }],
      },
      {
        resolver: async () => {
          lookups++;
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          // the first answer is quick, later ones take longer than the refresh interval
          if (lookups > 1) await new Promise((r) => setTimeout(r, 300));
          inFlight--;
          return [{ address: "127.0.0.1", family: 4 as const }];
        },
        dnsRefreshMs: 40,
      },
    );
    cleanups.push(() => gw.close());
    await new Promise((r) => setTimeout(r, 700));
    expect(maxInFlight).toBe(1);
    expect(lookups).toBeLessThanOrEqual(4);
    const { DEFAULT_DNS_REFRESH_MS } = await import("../../../src/gateway/server.js");
    expect(DEFAULT_DNS_REFRESH_MS).toBe(2000);
  });

  it("the Host header sent upstream is the target's name, not the address", async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.host ?? "");
      res.end("ok");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const dns = fakeDns({ "named.internal": ["127.0.0.1"] });
    const gw = await startTestGateway(
      {
        _format_version: "3.0",
        services: [{ name: "n", url: `http://named.internal:${port}`, routes: [{ paths: ["/"] }] }],
      },
      { resolver: dns.resolver },
    );
    cleanups.push(() => gw.close());
    await rawRequest(gw.proxyUrl, "/");
    expect(seen).toEqual([`named.internal:${port}`]);
  });

  it("the system resolver: a service on localhost works (real lookup)", async () => {
    const server = createServer((_req, res) => res.end("local"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const gw = await startTestGateway({
      _format_version: "3.0",
      services: [{ name: "l", url: `http://localhost:${port}`, routes: [{ paths: ["/"] }] }],
    });
    cleanups.push(() => gw.close());
    for (let i = 0; i < 4; i++) {
      const res = await rawRequest(gw.proxyUrl, "/");
      expect(res.status).toBe(200);
      expect(res.body).toBe("local");
    }
  });
});

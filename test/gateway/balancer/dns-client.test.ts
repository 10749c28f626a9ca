/**
 * DNS SRV targets (Kong's dns_resolver / dns_order; Consul's DNS interface in production): a real
 * DNS server on loopback (dnsmasq, test/support/dnsmasq.ts) serves SRV and A records; the
 * resolver and the gateway's balancer take each SRV record's target, port and weight, use only
 * the best priority, and re-resolve when the TTL runs out.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dnsResolver } from "../../../src/gateway/balancer/dns-client.js";
import type { Gateway } from "../../../src/gateway/server.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { startTestDnsmasq, type TestDnsmasq } from "../../support/dnsmasq.js";
import { rawRequest, startTestGateway, until } from "../../support/gateway.js";

const cleanups = cleanupsAfterEach();

/** An app instance on 127.0.0.1 answering with its name. */
async function instance(name: string): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    res.end(name);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  return { port: (server.address() as AddressInfo).port, hits: () => hits };
}

async function spread(gw: Gateway, n: number, host?: string): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await rawRequest(gw.proxyUrl, "/", host === undefined ? {} : { headers: { host } });
    seen[res.body] = (seen[res.body] ?? 0) + 1;
  }
  return seen;
}

describe("the resolver against a real DNS server", () => {
  let dns: TestDnsmasq;
  beforeAll(async () => {
    dns = await startTestDnsmasq({
      ttl: 30,
      srv: [
        { name: "app.service.consul", target: "app-1.node.consul", port: 8080, weight: 5 },
        { name: "app.service.consul", target: "app-2.node.consul", port: 8081, weight: 0 },
        // a worse priority: only used when the best ones are gone (not by Kong's balancer)
        { name: "app.service.consul", target: "app-3.node.consul", port: 8082, priority: 1, weight: 5 },
      ],
      hosts: {
        "app-1.node.consul": ["127.0.0.1"],
        "app-2.node.consul": ["127.0.0.2"],
        "app-3.node.consul": ["127.0.0.3"],
        "plain.example": ["127.0.0.4", "127.0.0.5"],
      },
    });
  });
  afterAll(() => dns.stop());

  it("an SRV name gives each best-priority record's address, port and weight (0 counts as 1), with the TTL", async () => {
    const resolve = dnsResolver({ servers: [dns.server] });
    const found = await resolve("app.service.consul");
    expect(found.sort((a, b) => a.address.localeCompare(b.address))).toEqual([
      { address: "127.0.0.1", family: 4, ttl: 30, port: 8080, weight: 5 },
      { address: "127.0.0.2", family: 4, ttl: 30, port: 8081, weight: 1 },
    ]);
  });

  it("a name without SRV records falls through to A (Kong's LAST,SRV,A,CNAME)", async () => {
    const resolve = dnsResolver({ servers: [dns.server] });
    const found = await resolve("plain.example");
    expect(found.map((r) => r.address).sort()).toEqual(["127.0.0.4", "127.0.0.5"]);
    expect(found.every((r) => r.port === undefined && r.weight === undefined && r.ttl === 30)).toBe(true);
  });

  it("dns_order decides which record types are asked: without SRV an SRV-only name does not resolve", async () => {
    await expect(
      dnsResolver({ servers: [dns.server], order: ["A"] })("app.service.consul"),
    ).rejects.toThrow();
    const srvOnly = dnsResolver({ servers: [dns.server], order: ["SRV"] });
    await expect(srvOnly("plain.example")).rejects.toThrow();
    expect((await srvOnly("app.service.consul")).length).toBe(2);
  });
});

describe("SRV targets through the gateway", () => {
  it("an upstream target with SRV records balances over the records' ports by their weights", async () => {
    const one = await instance("one");
    const two = await instance("two");
    const dns = await startTestDnsmasq({
      ttl: 60,
      srv: [
        { name: "app.service.consul", target: "app-1.node.consul", port: one.port, weight: 3 },
        { name: "app.service.consul", target: "app-2.node.consul", port: two.port, weight: 1 },
      ],
      hosts: { "app-1.node.consul": ["127.0.0.1"], "app-2.node.consul": ["127.0.0.1"] },
    });
    cleanups.push(() => dns.stop());
    const gw = await startTestGateway(
      {
        _format_version: "3.0",
        services: [{ name: "svc", host: "pool", routes: [{ paths: ["/"] }] }],
        // the target's port (80) gives way to the SRV records' ports
        upstreams: [{ name: "pool", targets: [{ target: "app.service.consul:80", weight: 100 }] }],
      },
      { dns: { servers: [dns.server] } },
    );
    cleanups.push(() => gw.close());
    expect(await spread(gw, 40)).toEqual({ one: 30, two: 10 });
    const health = await (await fetch(`${gw.adminUrl}/upstreams/pool/health`)).json();
    const addresses = (
      health as { data: Array<{ data: { addresses: Array<{ port: number; weight: number }> } }> }
    ).data[0]!.data.addresses;
    expect(addresses.map((a) => [a.port, a.weight]).sort()).toEqual(
      [
        [one.port, 3],
        [two.port, 1],
      ].sort(),
    );
  });

  it("a service host with SRV records is reached at the record's port", async () => {
    const one = await instance("one");
    const dns = await startTestDnsmasq({
      srv: [{ name: "api.service.consul", target: "api-1.node.consul", port: one.port, weight: 1 }],
      hosts: { "api-1.node.consul": ["127.0.0.1"] },
    });
    cleanups.push(() => dns.stop());
    const gw = await startTestGateway(
      {
        _format_version: "3.0",
        services: [{ name: "svc", host: "api.service.consul", port: 80, routes: [{ paths: ["/"] }] }],
      },
      { dns: { servers: [dns.server], order: ["SRV", "A"] } },
    );
    cleanups.push(() => gw.close());
    expect(await spread(gw, 3)).toEqual({ one: 3 });
  });

  it("re-resolves when the TTL runs out, not before", async () => {
    const one = await instance("one");
    const two = await instance("two");
    const records = (port: number, ttl: number) => ({
      ttl,
      srv: [{ name: "app.service.consul", target: "app-1.node.consul", port, weight: 1 }],
      hosts: { "app-1.node.consul": ["127.0.0.1"] },
    });
    // a long TTL: the periodic refresh (100 ms here) does not apply, the move is not seen
    const long = await startTestDnsmasq(records(one.port, 600));
    cleanups.push(() => long.stop());
    const gwLong = await startTestGateway(
      {
        _format_version: "3.0",
        services: [{ name: "svc", host: "pool", routes: [{ paths: ["/"] }] }],
        upstreams: [{ name: "pool", targets: [{ target: "app.service.consul:80" }] }],
      },
      { dns: { servers: [long.server] }, dnsRefreshMs: 100 },
    );
    cleanups.push(() => gwLong.close());
    expect(await spread(gwLong, 2)).toEqual({ one: 2 });
    await long.serve(records(two.port, 600));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await spread(gwLong, 2)).toEqual({ one: 2 });

    // a TTL of 1 s: the move is seen about 1.5 s later, although the periodic refresh is a minute
    const short = await startTestDnsmasq(records(one.port, 1));
    cleanups.push(() => short.stop());
    const gwShort = await startTestGateway(
      {
        _format_version: "3.0",
        services: [{ name: "svc", host: "pool", routes: [{ paths: ["/"] }] }],
        upstreams: [{ name: "pool", targets: [{ target: "app.service.consul:80" }] }],
      },
      { dns: { servers: [short.server] }, dnsRefreshMs: 60_000 },
    );
    cleanups.push(() => gwShort.close());
    expect(await spread(gwShort, 2)).toEqual({ one: 2 });
    await short.serve(records(two.port, 1));
    await until(async () => (await rawRequest(gwShort.proxyUrl, "/")).body === "two", 5000);
    expect(await spread(gwShort, 2)).toEqual({ two: 2 });
  });
});

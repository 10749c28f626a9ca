/**
 * startGateway composition: status listener readiness, Admin exposure rules, cleanup after a
 * partial start, atomic configuration swaps (also under load), the JSON access log.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { isGatewayError } from "../../../src/gateway/errors.js";
import { compactionCount } from "../../../src/gateway/heap.js";
import { silentLogger } from "../../../src/gateway/logger.js";
import { type Gateway, startGateway } from "../../../src/gateway/server.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { rawRequest, replyWith, startEchoUpstream, startTestGateway, until } from "../../support/gateway.js";

const cleanups = cleanupsAfterEach();

async function track<T extends { close(): Promise<unknown> }>(p: Promise<T>): Promise<T> {
  const v = await p;
  cleanups.push(() => v.close());
  return v;
}

const LOOPBACK = { host: "127.0.0.1", port: 0 };

function routeTo(url: string, extra: Record<string, unknown> = {}) {
  return {
    _format_version: "3.0",
    services: [{ name: "svc", url, ...extra, routes: [{ name: "all", paths: ["/"] }] }],
  };
}

describe("status listener", () => {
  it("/status/ready is 503 until a configuration is loaded, then 200; /status carries the hash", async () => {
    const gw = await track(startTestGateway());
    const before = await fetch(`${gw.statusUrl}/status/ready`);
    expect(before.status).toBe(503);
    const status0 = (await (await fetch(`${gw.statusUrl}/status`)).json()) as { configuration_hash: string };
    expect(status0.configuration_hash).toBe("00000000000000000000000000000000");
    const up = await track(startEchoUpstream());
    await gw.apply(routeTo(up.url));
    expect((await fetch(`${gw.statusUrl}/status/ready`)).status).toBe(200);
    const status = (await (await fetch(`${gw.statusUrl}/status`)).json()) as {
      configuration_hash: string;
      server: { total_requests: number };
      database: { reachable: boolean };
    };
    expect(status.configuration_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(status.configuration_hash).toBe(gw.configHash);
    expect(status.database.reachable).toBe(true);
    const metrics = await fetch(`${gw.statusUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
  });

  it("requests before any configuration get Kong's 404", async () => {
    const gw = await track(startTestGateway());
    expect((await rawRequest(gw.proxyUrl, "/")).status).toBe(404);
  });
});

describe("admin exposure", () => {
  it("refuses a non-loopback Admin address without a token", async () => {
    const err = await startGateway({
      proxyListen: LOOPBACK,
      statusListen: null,
      adminListen: { host: "0.0.0.0", port: 0 },
      accessLog: false,
      logger: silentLogger,
    }).catch((e: unknown) => e);
    expect(isGatewayError(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /refusing to expose the Admin API on 0\.0\.0\.0:0 without an admin token/,
    );
  });

  it("with a token it listens anywhere and requires the bearer token", async () => {
    const gw = await track(
      startTestGateway(undefined, { adminListen: { host: "0.0.0.0", port: 0 }, adminToken: "s3cret-token" }),
    );
    const port = new URL(gw.adminUrl!).port;
    expect((await fetch(`http://127.0.0.1:${port}/status`)).status).toBe(401);
    const ok = await fetch(`http://127.0.0.1:${port}/status`, {
      headers: { authorization: "Bearer s3cret-token" },
    });
    expect(ok.status).toBe(200);
  });
});

describe("lifecycle", () => {
  it("a busy port after the proxy started: startup fails clearly and what started is closed", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => blocker.close(r)));
    const busy = (blocker.address() as AddressInfo).port;
    // find a free port for the proxy so we can check it is released again
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const proxyPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));

    const err = await startGateway({
      proxyListen: { host: "127.0.0.1", port: proxyPort },
      adminListen: null,
      statusListen: { host: "127.0.0.1", port: busy },
      accessLog: false,
      logger: silentLogger,
    }).catch((e: unknown) => e);
    expect(isGatewayError(err) && err.code).toBe("E_PORT_BUSY");
    expect((err as Error).message).toContain(`127.0.0.1:${busy} is already in use`);
    // the proxy listener that did start was closed again
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once("error", reject);
      again.listen(proxyPort, "127.0.0.1", resolve);
    });
    await new Promise((r) => again.close(r));
  });

  it("an invalid initial configuration fails startup with Kong's error details", async () => {
    const err = await startTestGateway({
      _format_version: "3.0",
      services: [{ name: "x", port: "nope" }],
    }).catch((e: unknown) => e);
    expect(isGatewayError(err) && err.code).toBe("E_GATEWAY_CONFIG");
    expect((err as { data?: { error?: { code?: number } } }).data?.error?.code).toBe(14);
  });

  it("drain(): ready turns 503, in-flight requests finish, new connections are refused", async () => {
    const slow = await track(
      startEchoUpstream({
        handler: async (_req, res) => {
          await new Promise((r) => setTimeout(r, 500));
          res.end("done");
          return true;
        },
      }),
    );
    const gw = await startTestGateway(routeTo(slow.url));
    const inflight = rawRequest(gw.proxyUrl, "/");
    while (slow.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const draining = gw.drain(5000);
    const ready = await fetch(`${gw.statusUrl}/status/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ message: "shutting down" });
    await expect(rawRequest(gw.proxyUrl, "/")).rejects.toThrow(/ECONNREFUSED/);
    expect((await inflight).body).toBe("done");
    await draining;
  });

  it("close() twice is safe", async () => {
    const gw = await startTestGateway();
    await gw.close();
    await gw.close();
  });
});

describe("configuration swaps", () => {
  it("with heapCompaction, one full collection runs once the replaced configuration is released", async () => {
    const up = await track(startEchoUpstream());
    const quiet = await track(startTestGateway(routeTo(up.url)));
    const before = compactionCount();
    await quiet.apply(routeTo(up.url, { retries: 1 }));
    await new Promise((r) => setTimeout(r, 400));
    expect(compactionCount()).toBe(before); // off by default (a library does not own the process)

    const gw = await track(startTestGateway(routeTo(up.url), { heapCompaction: true }));
    await until(() => compactionCount() > before, 3000); // after the initial load
    const afterStart = compactionCount();
    // a burst of applies is coalesced into one collection after the last swap
    await gw.apply(routeTo(up.url, { retries: 2 }));
    await gw.apply(routeTo(up.url, { retries: 3 }));
    await until(() => compactionCount() > afterStart, 3000);
    await new Promise((r) => setTimeout(r, 400));
    expect(compactionCount()).toBe(afterStart + 1);
    expect((await rawRequest(gw.proxyUrl, "/x")).status).toBe(200);
  });

  it("apply() rejects an invalid config and keeps serving the old one", async () => {
    const up = await track(startEchoUpstream());
    const gw = await track(startTestGateway(routeTo(up.url)));
    const hash = gw.configHash;
    await expect(
      gw.apply({ _format_version: "3.0", routes: [{ paths: ["no-slash"] }] }),
    ).rejects.toMatchObject({
      error: { code: 14 },
    });
    expect(gw.configHash).toBe(hash);
    expect((await rawRequest(gw.proxyUrl, "/x")).status).toBe(200);
  });

  it("requests in flight finish on the configuration they started on", async () => {
    const slow = await track(
      startEchoUpstream({
        handler: async (_req, res) => {
          await new Promise((r) => setTimeout(r, 400));
          res.end("old");
          return true;
        },
      }),
    );
    const fresh = await track(startEchoUpstream({ handler: replyWith("new") }));
    const gw = await track(startTestGateway(routeTo(slow.url)));
    const inflight = rawRequest(gw.proxyUrl, "/");
    while (slow.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await gw.apply(routeTo(fresh.url));
    expect((await rawRequest(gw.proxyUrl, "/")).body).toBe("new");
    expect((await inflight).body).toBe("old");
  });

  it("POST /config under load: no failed request, every answer from one whole configuration", async () => {
    const a = await track(startEchoUpstream({ handler: replyWith("A") }));
    const b = await track(startEchoUpstream({ handler: replyWith("B") }));
    const docA = routeTo(a.url);
    const docB = {
      _format_version: "3.0",
      services: [{ name: "other", url: b.url, routes: [{ name: "all-b", paths: ["/"] }] }],
    };
    const gw = await track(startTestGateway(docA));
    let stop = false;
    const answers: string[] = [];
    const failures: string[] = [];
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (!stop) {
          try {
            const res = await rawRequest(gw.proxyUrl, "/load");
            if (res.status !== 200) failures.push(`${res.status} ${res.body}`);
            else answers.push(res.body);
          } catch (err) {
            failures.push(String(err));
          }
        }
      }),
    );
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${gw.adminUrl}/config`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(i % 2 === 0 ? docB : docA),
      });
      expect(res.status).toBe(201);
      await new Promise((r) => setTimeout(r, 20));
    }
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(answers.length).toBeGreaterThan(50);
    expect(new Set(answers)).toEqual(new Set(["A", "B"]));
  });
});

describe("access log", () => {
  it("writes one JSON line per request with latencies, route, service, client ip; secrets redacted", async () => {
    const up = await track(startEchoUpstream());
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        cb();
      },
    });
    const gw: Gateway = await track(
      startTestGateway(
        {
          _format_version: "3.0",
          services: [{ name: "orders", url: up.url, routes: [{ name: "orders-route", paths: ["/orders"] }] }],
        },
        { accessLog: sink },
      ),
    );
    await rawRequest(gw.proxyUrl, "/orders/1?apikey=super-secret&page=2", {
      headers: { authorization: "Bearer abc", "x-request-id": "trace-42", cookie: "session=xyz" },
    });
    await rawRequest(gw.proxyUrl, "/missing");
    await new Promise((r) => setTimeout(r, 50));
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({
      request_id: "trace-42",
      method: "GET",
      path: "/orders/1",
      query: "apikey=REDACTED&page=2",
      status: 200,
      route: "orders-route",
      service: "orders",
      consumer: null,
      client_ip: "127.0.0.1",
      upstream: `127.0.0.1:${up.port}`,
    });
    expect(first.latencies.gateway).toBeGreaterThanOrEqual(0);
    expect(first.latencies.upstream).toBeGreaterThanOrEqual(0);
    expect(first.response_size).toBeGreaterThan(0);
    expect(lines[0]).not.toContain("super-secret");
    expect(lines[0]).not.toContain("abc");
    const second = JSON.parse(lines[1]!);
    expect(second).toMatchObject({ path: "/missing", status: 404, route: null, service: null });
  });
});

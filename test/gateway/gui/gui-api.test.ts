/**
 * The gateway manager's read endpoints (issue 15 §1): overview numbers moving with traffic, the
 * live access log over Server-Sent Events with its filters, a slow subscriber dropped, the plugin
 * catalogue, the entity schemas and the plugins applying to a route — a real gateway and a real
 * upstream on random loopback ports.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogHub, parseLogFilter } from "../../../src/gateway/gui/log-hub.js";
import { StatsWindow } from "../../../src/gateway/gui/stats-window.js";
import type { AccessLogFields } from "../../../src/gateway/proxy/access-log.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { type EchoUpstream, startEchoUpstream, until } from "../../support/gateway.js";
import { jsonOf, login, managerGateway } from "./_support.js";

const cleanups = cleanupsAfterEach();
let upstream: EchoUpstream;

beforeAll(async () => {
  upstream = await startEchoUpstream();
});
afterAll(async () => {
  await upstream.close();
});

function config(url: string): object {
  return {
    _format_version: "3.0",
    services: [
      {
        name: "echo",
        url,
        routes: [
          { name: "open", paths: ["/open"] },
          { name: "keyed", paths: ["/keyed"], plugins: [{ name: "key-auth" }] },
        ],
        plugins: [{ name: "correlation-id" }],
      },
    ],
    consumers: [
      {
        username: "alice",
        keyauth_credentials: [{ key: "alice-key-1234" }],
        plugins: [{ name: "request-termination", config: { status_code: 418 } }],
      },
      { username: "bob", keyauth_credentials: [{ key: "bob-key-1234" }] },
    ],
    plugins: [
      { name: "cors" },
      { name: "rate-limiting", route: "keyed", enabled: false, config: { minute: 100 } },
    ],
  };
}

/** Read SSE `event: access` data lines from the manager until `count` arrived. */
function subscribe(
  url: string,
  cookie: string,
): Promise<{ events: Array<Record<string, unknown>>; close(): void; status: number }> {
  return new Promise((resolve, reject) => {
    const events: Array<Record<string, unknown>> = [];
    const req = request(url, { headers: { cookie } }, (res) => {
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let i = buffer.indexOf("\n\n");
        while (i >= 0) {
          const frame = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          if (frame.startsWith("event: access\n")) events.push(JSON.parse(frame.split("\ndata: ")[1]!));
          i = buffer.indexOf("\n\n");
        }
      });
      resolve({ events, close: () => req.destroy(), status: res.statusCode ?? 0 });
    });
    req.on("error", (e) => {
      if ((e as NodeJS.ErrnoException).code !== "ECONNRESET") reject(e);
    });
    req.end();
  });
}

describe("gateway manager: overview", () => {
  it("counts proxied requests, their error rate and latency in the window", async () => {
    const gw = await managerGateway(cleanups, config(upstream.url));
    const { cookie } = await login(gw.guiUrl);
    const before = await jsonOf(fetch(`${gw.guiUrl}/gui-api/overview`, { headers: { cookie } }));
    expect(before).toMatchObject({
      mode: "db-less",
      windowSeconds: 60,
      requests: { total: 0, errorRate: 0 },
    });
    expect(before.configHash).toMatch(/^[0-9a-f]{32}$/);
    for (let i = 0; i < 4; i++) await (await fetch(`${gw.proxyUrl}/open`)).text();
    await (await fetch(`${gw.proxyUrl}/keyed`)).text(); // 401: not a 5xx
    const after = await jsonOf(fetch(`${gw.guiUrl}/gui-api/overview`, { headers: { cookie } }));
    expect(after.requests.total).toBe(5);
    expect(after.requests.perSecond).toBeGreaterThan(0);
    expect(after.requests.errorRate).toBe(0);
    expect(after.latencyMs.p99).toBeGreaterThan(0);
    expect(after.latencyMs.p50).toBeLessThanOrEqual(after.latencyMs.p99);
    expect(after.upstreamHealth).toEqual({ healthy: 0, unhealthy: 0 });
  });

  it("the window forgets what is older than 60 s and counts 5xx", () => {
    let now = 1_000_000;
    const w = new StatsWindow(60, () => now);
    w.record(200, 3);
    w.record(502, 40);
    expect(w.read()).toMatchObject({ total: 2, errorRate: 0.5 });
    now += 61_000;
    expect(w.read()).toMatchObject({ total: 2, perSecond: 0, errorRate: 0, latencyMs: { p50: 0 } });
  });
});

describe("gateway manager: live access log", () => {
  it("streams the access-log lines matching route, status and consumer filters", async () => {
    const gw = await managerGateway(cleanups, config(upstream.url));
    const { cookie } = await login(gw.guiUrl);
    const byRoute = await subscribe(`${gw.guiUrl}/gui-api/logs?route=open`, cookie);
    const byStatus = await subscribe(`${gw.guiUrl}/gui-api/logs?status=4xx`, cookie);
    const byConsumer = await subscribe(`${gw.guiUrl}/gui-api/logs?consumer=bob`, cookie);
    cleanups.push(
      () => byRoute.close(),
      () => byStatus.close(),
      () => byConsumer.close(),
    );
    expect(byRoute.status).toBe(200);

    await (await fetch(`${gw.proxyUrl}/open?x=1`)).text();
    await (await fetch(`${gw.proxyUrl}/keyed`)).text(); // 401
    await (await fetch(`${gw.proxyUrl}/keyed`, { headers: { apikey: "bob-key-1234" } })).text(); // 200, bob
    await (await fetch(`${gw.proxyUrl}/keyed`, { headers: { apikey: "alice-key-1234" } })).text(); // 418, alice

    await until(
      () => byRoute.events.length >= 1 && byStatus.events.length >= 2 && byConsumer.events.length >= 1,
    );
    expect(byRoute.events.map((e) => [e.route, e.path, e.status])).toEqual([["open", "/open", 200]]);
    expect(byStatus.events.map((e) => e.status)).toEqual([401, 418]);
    expect(byConsumer.events.map((e) => [e.consumer, e.status])).toEqual([["bob", 200]]);
    expect(JSON.stringify(byConsumer.events)).not.toContain("bob-key-1234");
  });

  it("filters by id as well, and refuses a bad status filter", async () => {
    const gw = await managerGateway(cleanups, config(upstream.url));
    const { cookie } = await login(gw.guiUrl);
    const routes = await jsonOf(fetch(`${gw.guiUrl}/admin-api/routes`, { headers: { cookie } }));
    const open = routes.data.find((r: { name: string }) => r.name === "open");
    const sub = await subscribe(`${gw.guiUrl}/gui-api/logs?route=${open.id}&status=200`, cookie);
    cleanups.push(() => sub.close());
    await (await fetch(`${gw.proxyUrl}/keyed`)).text();
    await (await fetch(`${gw.proxyUrl}/open`)).text();
    await until(() => sub.events.length >= 1);
    expect(sub.events.map((e) => e.route)).toEqual(["open"]);
    const bad = await fetch(`${gw.guiUrl}/gui-api/logs?status=abc`, { headers: { cookie } });
    expect(bad.status).toBe(400);
  });

  it("drops a subscriber that does not keep up instead of buffering for it", () => {
    const hub = new LogHub({ maxBufferedBytes: 2000 });
    let destroyed = false;
    const written: string[] = [];
    const res = {
      writableLength: 0,
      writeHead() {},
      write(chunk: string) {
        written.push(chunk);
        this.writableLength += chunk.length; // a client that never reads: nothing leaves the buffer
        return false;
      },
      once() {},
      destroy() {
        destroyed = true;
      },
    };
    const filter = parseLogFilter(new URLSearchParams());
    if ("error" in filter) throw new Error(filter.error);
    // a stand-in response (a test double): the hub only writes to it and reads its buffered size
    expect(hub.subscribe(res as never, filter, {})).toBe(true);
    for (let i = 0; i < 100 && !destroyed; i++) hub.publish(fields(i), { routeId: null, consumerId: null });
    expect(destroyed).toBe(true);
    expect(hub.size).toBe(0);
    expect(written.join("").length).toBeLessThanOrEqual(2000);
  });

  it("drops a real slow client: the stream ends instead of buffering what it does not read", async () => {
    const gw = await managerGateway(cleanups, config(upstream.url));
    const { cookie } = await login(gw.guiUrl);
    const { connect } = await import("node:net");
    const url = new URL(gw.guiUrl);
    const socket = connect(Number(url.port), url.hostname);
    cleanups.push(() => socket.destroy());
    socket.write(`GET /gui-api/logs HTTP/1.1\r\nHost: ${url.host}\r\ncookie: ${cookie}\r\n\r\n`);
    await new Promise((r) => socket.once("data", r));
    socket.pause(); // reads nothing more: the kernel buffers fill, then the hub's own limit (1 MiB)
    const path = `/open/${"p".repeat(12_000)}`;
    const rounds = 40;
    for (let i = 0; i < rounds; i++)
      await Promise.all(
        Array.from({ length: 20 }, () => fetch(`${gw.proxyUrl}${path}`).then((r) => r.text())),
      );
    let received = 0;
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.resume();
    await closed; // the hub dropped it: the keep-alive stream would otherwise stay open
    expect(received).toBeLessThan(rounds * 20 * 12_000);
  }, 60_000);
});

function fields(i: number): AccessLogFields {
  return {
    startedAtMs: Date.now(),
    requestId: `req-${i}`,
    method: "GET",
    path: `/p/${"x".repeat(200)}`,
    query: "",
    status: 200,
    requestSize: 10,
    responseSize: 10,
    gatewayMs: 1,
    upstreamMs: 1,
    totalMs: 2,
    route: "r",
    service: "s",
    consumer: null,
    clientIp: "127.0.0.1",
    upstream: null,
    userAgent: undefined,
  };
}

describe("gateway manager: catalogue, schemas, plugins applying", () => {
  it("lists installed plugins by priority with their config JSON Schema", async () => {
    const gw = await managerGateway(cleanups, config(upstream.url));
    const { cookie } = await login(gw.guiUrl);
    const list = await jsonOf(fetch(`${gw.guiUrl}/gui-api/plugin-catalogue`, { headers: { cookie } }));
    const priorities = list.map((p: { priority: number }) => p.priority);
    expect(priorities).toEqual([...priorities].sort((a: number, b: number) => b - a));
    const keyAuth = list.find((p: { name: string }) => p.name === "key-auth");
    expect(keyAuth.priority).toBe(1250);
    expect(keyAuth.phases).toContain("access");
    expect(keyAuth.schema.type).toBe("object");
    expect(keyAuth.schema.properties.key_names.default).toEqual(["apikey"]);
    expect(keyAuth.schema.properties.key_names.description).toBeTypeOf("string");
  });

  it("gives each entity kind's fields as JSON Schema", async () => {
    const gw = await managerGateway(cleanups);
    const { cookie } = await login(gw.guiUrl);
    const schemas = await jsonOf(fetch(`${gw.guiUrl}/gui-api/entity-schemas`, { headers: { cookie } }));
    for (const kind of ["services", "routes", "upstreams", "targets", "consumers", "keyauth_credentials"])
      expect(schemas[kind]?.type, kind).toBe("object");
    expect(schemas.services.properties.port).toMatchObject({ type: "integer", default: 80 });
    expect(schemas.services.properties.protocol.enum).toContain("https");
    expect(schemas.routes.properties.service["x-reference"]).toBe("services");
  });

  it("lists the plugins applying to a route in execution order with their scopes", async () => {
    const gw = await managerGateway(cleanups, config(upstream.url));
    const { cookie } = await login(gw.guiUrl);
    const answer = await jsonOf(
      fetch(`${gw.guiUrl}/gui-api/plugins-applying?route=keyed`, { headers: { cookie } }),
    );
    expect(answer.route.name).toBe("keyed");
    expect(answer.service.name).toBe("echo");
    const rows = answer.plugins.map(
      (p: { name: string; scope: string; enabled: boolean; consumer?: { username: string } }) => [
        p.name,
        p.scope,
        p.enabled,
        p.consumer?.username ?? null,
      ],
    );
    expect(rows).toEqual([
      ["correlation-id", "service", true, null],
      ["cors", "global", true, null],
      ["key-auth", "route", true, null],
      ["rate-limiting", "route", false, null],
      ["request-termination", "consumer", true, "alice"],
    ]);
    const missing = await fetch(`${gw.guiUrl}/gui-api/plugins-applying?route=nope`, { headers: { cookie } });
    expect(missing.status).toBe(404);
  });
});

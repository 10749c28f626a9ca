/**
 * response-ratelimiting through the running gateway against a real upstream that reports its
 * usage in `x-kong-limit` (Kong's spec/03-plugins/24-response-rate-limiting re-expressed): named
 * limits, the headers both ways, the empty 429, block_on_first_violation, hide_client_headers,
 * limit_by, and the redis policy against a real redis-server (shared by two gateways, outages
 * with fault_tolerant on and off). Windows are minutes and hours, tests keep off their edges.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePluginConfig } from "../../../src/gateway/config/plugin-config.js";
import { responseRateLimitingSchema } from "../../../src/gateway/plugins/response-ratelimiting/schema.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { startTestGateway, until } from "../../support/gateway.js";
import { startTestRedis, type TestRedis } from "../../support/redis.js";
import { routesWithPlugin } from "./_plugin-config.js";

const cleanups = cleanupsAfterEach();
const PLUGIN = "response-ratelimiting";

interface Reply {
  status: number;
  headers: Headers;
  body: string;
}

/** The upstream: answers `x-kong-limit` lines from the `limit` query arguments, and echoes the request headers. */
let upstream: Server;
let upstreamUrl: string;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const limits = url.searchParams.getAll("limit");
    if (limits.length > 0) res.setHeader("x-kong-limit", limits.length === 1 ? limits[0]! : limits);
    res.setHeader("content-type", "application/json");
    req.resume();
    res.end(JSON.stringify({ headers: req.headers }));
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(
  () =>
    new Promise<void>((r) => {
      upstream.close(() => r());
      upstream.closeAllConnections();
    }),
);

async function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${base}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** What the upstream was told (`x-ratelimit-remaining-<name>`). */
function upstreamSaw(r: Reply, name: string): string | undefined {
  return (JSON.parse(r.body) as { headers: Record<string, string> }).headers[`x-ratelimit-remaining-${name}`];
}

/** Keep a sequence inside one minute window. */
async function awayFromMinuteEdge(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 8000) await new Promise((r) => setTimeout(r, left + 50));
}

async function gatewayWith(
  routes: Parameters<typeof routesWithPlugin>[2],
  top: Record<string, unknown> = {},
) {
  const gw = await startTestGateway(routesWithPlugin(upstreamUrl, PLUGIN, routes, top));
  cleanups.push(() => gw.close());
  return gw;
}

/** The log phase counts after the answer: wait until the upstream is told `expected`. */
async function settled(base: string, path: string, name: string, expected: string, headers = {}) {
  await until(async () => upstreamSaw(await get(base, path, headers), name) === expected, 3000);
}

describe("response-ratelimiting, local policy", () => {
  it("counts what the upstream reports per named limit; a response using an exhausted limit is an empty 429", async () => {
    await awayFromMinuteEdge();
    const gw = await gatewayWith([
      { path: "/media", config: { limits: { video: { minute: 6 }, image: { minute: 4, hour: 100 } } } },
    ]);
    const base = gw.proxyUrl;
    const first = await get(base, `/media?limit=${encodeURIComponent("video=2, image=1")}`);
    expect(first.status).toBe(200);
    // the upstream is told what is left before this request (the least over the periods)
    expect(upstreamSaw(first, "video")).toBe("6");
    expect(upstreamSaw(first, "image")).toBe("4");
    // the client: what is left after it; the usage header does not reach it
    expect(first.headers.get("x-ratelimit-limit-video-minute")).toBe("6");
    expect(first.headers.get("x-ratelimit-remaining-video-minute")).toBe("4");
    expect(first.headers.get("x-ratelimit-limit-image-minute")).toBe("4");
    expect(first.headers.get("x-ratelimit-remaining-image-minute")).toBe("3");
    expect(first.headers.get("x-ratelimit-limit-image-hour")).toBe("100");
    expect(first.headers.get("x-ratelimit-remaining-image-hour")).toBe("99");
    expect(first.headers.get("x-kong-limit")).toBeNull();
    // only the periods configured for each name are reported (video has no hour, image no second)
    const reported = [...first.headers.keys()].filter((h) => h.startsWith("x-ratelimit-")).sort();
    expect(reported).toEqual([
      "x-ratelimit-limit-image-hour",
      "x-ratelimit-limit-image-minute",
      "x-ratelimit-limit-video-minute",
      "x-ratelimit-remaining-image-hour",
      "x-ratelimit-remaining-image-minute",
      "x-ratelimit-remaining-video-minute",
    ]);

    await settled(base, "/media", "video", "4");
    // several lines of the header combine; names not configured are ignored
    const lines = await get(base, "/media?limit=video%3D4&limit=image%3D1&limit=audio%3D9");
    expect(lines.status).toBe(200);
    expect(lines.headers.get("x-ratelimit-remaining-video-minute")).toBe("0");
    expect(lines.headers.get("x-ratelimit-remaining-image-minute")).toBe("2");
    await settled(base, "/media", "video", "0");

    // video is used up: a response using video is refused, one using only images is not
    const refused = await get(base, `/media?limit=${encodeURIComponent("video=1")}`);
    expect(refused.status).toBe(429);
    expect(refused.body).toBe("");
    expect(refused.headers.get("x-ratelimit-remaining-video-minute")).toBe("0");
    expect(refused.headers.get("x-ratelimit-limit-video-minute")).toBe("6");
    const images = await get(base, `/media?limit=${encodeURIComponent("image=1")}`);
    expect(images.status).toBe(200);
    expect(images.headers.get("x-ratelimit-remaining-image-minute")).toBe("1");
    // the refused response was not counted, a response reporting nothing is not refused
    const nothing = await get(base, "/media");
    expect(nothing.status).toBe(200);
    expect(upstreamSaw(nothing, "video")).toBe("0");
  });

  it("block_on_first_violation refuses in the access phase, naming the limit", async () => {
    await awayFromMinuteEdge();
    const gw = await gatewayWith([
      {
        path: "/strict",
        config: { block_on_first_violation: true, limits: { video: { minute: 2 }, image: { minute: 10 } } },
      },
    ]);
    const ok = await get(gw.proxyUrl, `/strict?limit=${encodeURIComponent("video=2, image=1")}`);
    expect(ok.status).toBe(200);
    await until(async () => (await get(gw.proxyUrl, "/strict")).status === 429, 3000);
    const blocked = await get(gw.proxyUrl, `/strict?limit=${encodeURIComponent("image=1")}`);
    expect(blocked.status).toBe(429);
    expect(JSON.parse(blocked.body)).toMatchObject({ message: "API rate limit exceeded for 'video'" });
  });

  it("hide_client_headers sends no X-RateLimit headers, still removes the usage header and still refuses", async () => {
    await awayFromMinuteEdge();
    const gw = await gatewayWith([
      { path: "/hidden", config: { hide_client_headers: true, limits: { video: { minute: 1 } } } },
    ]);
    const r = await get(gw.proxyUrl, "/hidden?limit=video%3D1");
    expect(r.status).toBe(200);
    expect([...r.headers.keys()].filter((k) => k.startsWith("x-ratelimit") || k === "x-kong-limit")).toEqual(
      [],
    );
    await settled(gw.proxyUrl, "/hidden", "video", "0");
    expect((await get(gw.proxyUrl, "/hidden?limit=video%3D1")).status).toBe(429);
  });

  it("limit_by consumer counts per consumer (key-auth), limit_by ip per client address", async () => {
    await awayFromMinuteEdge();
    const gw = await gatewayWith(
      [
        {
          path: "/by-consumer",
          config: { limits: { video: { minute: 5 } } },
          extra: [{ name: "key-auth" }],
        },
        { path: "/by-ip", config: { limit_by: "ip", limits: { video: { minute: 5 } } } },
      ],
      {
        consumers: [
          { username: "bob", keyauth_credentials: [{ key: "bob-key" }] },
          { username: "eve", keyauth_credentials: [{ key: "eve-key" }] },
        ],
      },
    );
    const bob = { apikey: "bob-key" };
    expect((await get(gw.proxyUrl, "/by-consumer?limit=video%3D3", bob)).status).toBe(200);
    await settled(gw.proxyUrl, "/by-consumer", "video", "2", bob);
    const eve = await get(gw.proxyUrl, "/by-consumer", { apikey: "eve-key" });
    expect(upstreamSaw(eve, "video")).toBe("5");
    expect((await get(gw.proxyUrl, "/by-ip?limit=video%3D5")).status).toBe(200);
    await settled(gw.proxyUrl, "/by-ip", "video", "0");
    // another route's plugin entry keeps its own counters
    expect(upstreamSaw(await get(gw.proxyUrl, "/by-consumer", bob), "video")).toBe("2");
  });
});

describe("response-ratelimiting beside other plugins", () => {
  it("runs after rate-limiting (priority 900 < 910): a request rate-limiting refuses gets no response-ratelimiting headers", async () => {
    await awayFromMinuteEdge();
    const gw = await gatewayWith([
      {
        path: "/both",
        config: { limits: { video: { minute: 10 } } },
        extra: [{ name: "rate-limiting", config: { minute: 2 } }],
      },
    ]);
    const first = await get(gw.proxyUrl, "/both?limit=video%3D1");
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-remaining-video-minute")).toBe("9");
    expect(first.headers.get("x-ratelimit-remaining-minute")).toBe("1");
    await until(async () => (await get(gw.proxyUrl, "/both?limit=video%3D1")).status === 429, 3000);
    const refused = await get(gw.proxyUrl, "/both?limit=video%3D1");
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ message: "API rate limit exceeded" });
    expect(refused.headers.get("x-ratelimit-limit-video-minute")).toBeNull();
  });
});

describe("response-ratelimiting, redis policy", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(() => redis.stop());

  it("two gateways on one Redis count together, in Kong's key layout", async () => {
    await awayFromMinuteEdge();
    const config = {
      policy: "redis",
      redis: { host: "127.0.0.1", port: redis.port },
      limits: { video: { minute: 5 } },
    };
    const a = await gatewayWith([{ path: "/shared", config }]);
    const b = await gatewayWith([{ path: "/shared", config }]);
    expect((await get(a.proxyUrl, "/shared?limit=video%3D3")).status).toBe(200);
    await settled(b.proxyUrl, "/shared", "video", "2");
    expect((await get(b.proxyUrl, "/shared?limit=video%3D2")).status).toBe(200);
    await settled(a.proxyUrl, "/shared", "video", "0");
    expect((await get(a.proxyUrl, "/shared?limit=video%3D1")).status).toBe(429);
    const keys = await redis.command("KEYS", "response-ratelimit:*");
    // only the configured period is counted (Kong counts every period of the name)
    const names = keys.split("\r\n").filter((l) => l.startsWith("response-ratelimit:"));
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((k) => k.endsWith(":video:minute"))).toBe(true);
    const windowStart = Date.now() - (Date.now() % 60_000);
    expect(keys).toMatch(
      new RegExp(
        `response-ratelimit:[0-9a-f-]{36}:[0-9a-f-]{36}:127\\.0\\.0\\.1:${windowStart}:video:minute`,
      ),
    );
    const ttl = await redis.command(
      "TTL",
      keys.split("\r\n").find((l) => l.startsWith("response-ratelimit:"))!,
    );
    expect(Number(ttl.slice(1))).toBeGreaterThan(0);
    expect(Number(ttl.slice(1))).toBeLessThanOrEqual(60);
  });

  it("fault_tolerant: passes without headers while Redis is down; off: Kong's 500", async () => {
    const outage = await startTestRedis();
    cleanups.push(() => outage.stop());
    const redisConf = { host: "127.0.0.1", port: outage.port, timeout: 300 };
    const gw = await gatewayWith([
      { path: "/tolerant", config: { policy: "redis", redis: redisConf, limits: { video: { minute: 5 } } } },
      {
        path: "/strict",
        config: {
          policy: "redis",
          fault_tolerant: false,
          redis: redisConf,
          limits: { video: { minute: 5 } },
        },
      },
    ]);
    const up = await get(gw.proxyUrl, "/strict?limit=video%3D1");
    expect(up.headers.get("x-ratelimit-limit-video-minute")).toBe("5");
    await outage.kill();
    const tolerant = await get(gw.proxyUrl, "/tolerant?limit=video%3D1");
    expect(tolerant.status).toBe(200);
    expect(tolerant.headers.get("x-ratelimit-limit-video-minute")).toBeNull();
    // nothing was read, so nothing is known: the upstream's header is left as it is (as Kong)
    expect(tolerant.headers.get("x-kong-limit")).toBe("video=1");
    const strict = await get(gw.proxyUrl, "/strict?limit=video%3D1");
    expect(strict.status).toBe(500);
    expect(JSON.parse(strict.body)).toMatchObject({ message: "An unexpected error occurred" });
  });
});

describe("response-ratelimiting config", () => {
  const errors = (config: unknown) => {
    const r = parsePluginConfig(responseRateLimitingSchema, config);
    return r.ok ? null : r.errors;
  };

  it("takes Kong's defaults and shapes", () => {
    const r = parsePluginConfig(responseRateLimitingSchema, { limits: { video: { second: 1 } } });
    expect(r.ok && r.data).toMatchObject({
      header_name: "x-kong-limit",
      limit_by: "consumer",
      policy: "local",
      fault_tolerant: true,
      block_on_first_violation: false,
      hide_client_headers: false,
    });
    expect(
      errors({ limits: { video: { second: 1, minute: 2, hour: 3, day: 4, month: 5, year: 6 } } }),
    ).toBeNull();
    expect(errors({ policy: "redis", redis_host: "redis", limits: { video: { minute: 1 } } })).toBeNull();
  });

  it("refuses what Kong refuses, in Kong's words", () => {
    expect(errors({})).toEqual({ limits: "required field missing" });
    expect(errors({ limits: {} })).toEqual({ limits: "length must be at least 1" });
    expect(errors({ limits: { video: { second: 1, seco: 1 } } })).toEqual({
      limits: { video: { seco: "unknown field" } },
    });
    expect(errors({ limits: { video: {} } })).toEqual({
      limits: {
        video:
          "at least one of these fields must be non-empty: 'second', 'minute', 'hour', 'day', 'month', 'year'",
      },
    });
    expect(errors({ limits: { video: { second: 2, minute: 1 } } })).toEqual({
      limits: "the limit for minute(1.0) cannot be lower than the limit for second(2.0)",
    });
    expect(errors({ limits: { second: 10 } })).toEqual({ limits: { second: "expected a record" } });
    expect(errors({ policy: "cluster", limits: { v: { second: 1 } } })).toEqual({
      policy: "expected one of: local, redis",
    });
    expect(errors({ policy: "redis", limits: { v: { second: 1 } } })).toEqual({
      redis: { host: "required field missing" },
    });
  });
});

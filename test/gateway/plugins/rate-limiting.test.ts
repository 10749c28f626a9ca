/**
 * rate-limiting through the running gateway against a real upstream (Kong's
 * spec/03-plugins/23-rate-limiting re-expressed), with the local policy and with a real
 * redis-server — including gateway replicas sharing one Redis (in this process, and as
 * separate gateway processes, one of them with its clock shifted by libfaketime), and
 * Redis outages.
 */
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PERIODS, periodStart } from "../../../src/gateway/plugins/_shared/periods.js";
import { WINDOW_START_LUA } from "../../../src/gateway/plugins/_shared/redis-windows.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway, until } from "../../support/gateway.js";
import { startGatewayProcess, writeGatewayConfig } from "../../support/gateway-process.js";
import { startTestRedis, type TestRedis } from "../../support/redis.js";
import { type PluginRoute, postPluginConfig, routesWithPlugin, servicePluginDoc } from "./_plugin-config.js";

interface Reply {
  status: number;
  headers: Headers;
  body: string;
  json: () => Record<string, unknown>;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(url, { headers });
  const body = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body,
    json: () => JSON.parse(body) as Record<string, unknown>,
  };
}

/** Wait so a burst does not straddle the end of the current minute/hour window. */
async function awayFromWindowEdge(periodMs: number, marginMs = 3000): Promise<void> {
  const left = periodMs - (Date.now() % periodMs);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

async function burst(url: string, n: number, headers: Record<string, string> = {}): Promise<number[]> {
  const replies = await Promise.all(Array.from({ length: n }, () => get(url, headers)));
  return replies.map((r) => r.status);
}

function countOf(statuses: number[], status: number): number {
  return statuses.filter((s) => s === status).length;
}

const HOUR = 3_600_000;

let upstream: EchoUpstream;

beforeAll(async () => {
  upstream = await startEchoUpstream();
});

afterAll(async () => {
  await upstream.close();
});

describe("rate-limiting, local policy", () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;

  beforeAll(async () => {
    gw = await startTestGateway({
      _format_version: "3.0",
      consumers: [
        { username: "bob", keyauth_credentials: [{ key: "bob-key-1" }, { key: "bob-key-2" }] },
        {
          username: "alice",
          keyauth_credentials: [{ key: "alice-key" }],
          plugins: [{ name: "rate-limiting", config: { hour: 8 } }],
        },
      ],
      services: [
        {
          name: "svc",
          url: upstream.url,
          routes: [
            { name: "r-basic", paths: ["/basic"], plugins: [{ name: "rate-limiting", config: { hour: 6 } }] },
            {
              name: "r-multi",
              paths: ["/multi"],
              plugins: [{ name: "rate-limiting", config: { minute: 3, hour: 5 } }],
            },
            {
              name: "r-hidden",
              paths: ["/hidden"],
              plugins: [{ name: "rate-limiting", config: { hour: 1, hide_client_headers: true } }],
            },
            {
              name: "r-custom",
              paths: ["/custom"],
              plugins: [
                {
                  name: "rate-limiting",
                  config: { hour: 1, error_code: 503, error_message: "Slow down" },
                },
              ],
            },
            {
              name: "r-cred",
              paths: ["/cred"],
              plugins: [
                { name: "key-auth" },
                { name: "rate-limiting", config: { hour: 6, limit_by: "credential" } },
              ],
            },
            {
              name: "r-header",
              paths: ["/header"],
              plugins: [
                { name: "rate-limiting", config: { hour: 2, limit_by: "header", header_name: "X-Tenant" } },
              ],
            },
            {
              name: "r-path",
              paths: ["/by-path"],
              plugins: [
                { name: "rate-limiting", config: { hour: 1, limit_by: "path", path: "/by-path/limited" } },
              ],
            },
            {
              name: "r-burst",
              paths: ["/burst"],
              plugins: [{ name: "rate-limiting", config: { hour: 50 } }],
            },
            {
              name: "r-second",
              paths: ["/second"],
              plugins: [{ name: "rate-limiting", config: { second: 2 } }],
            },
          ],
        },
        {
          name: "shared-svc",
          url: upstream.url,
          plugins: [{ name: "rate-limiting", config: { hour: 6 } }],
          routes: [
            { name: "shared-1", paths: ["/shared-1"] },
            { name: "shared-2", paths: ["/shared-2"] },
          ],
        },
      ],
    });
  });

  afterAll(async () => {
    await gw.close();
  });

  it("counts down X-RateLimit-Remaining and blocks beyond the limit with Kong's 429", async () => {
    await awayFromWindowEdge(HOUR);
    for (let i = 1; i <= 6; i++) {
      const res = await get(`${gw.proxyUrl}/basic`);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit-hour")).toBe("6");
      expect(res.headers.get("x-ratelimit-remaining-hour")).toBe(String(6 - i));
      expect(res.headers.get("ratelimit-limit")).toBe("6");
      expect(res.headers.get("ratelimit-remaining")).toBe(String(6 - i));
      const reset = Number(res.headers.get("ratelimit-reset"));
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(3600);
    }
    const blocked = await get(`${gw.proxyUrl}/basic`);
    expect(blocked.status).toBe(429);
    expect(blocked.json().message).toBe("API rate limit exceeded");
    expect(blocked.headers.get("x-ratelimit-remaining-hour")).toBe("0");
    expect(blocked.headers.get("ratelimit-remaining")).toBe("0");
    const retryAfter = Number(blocked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBe(Number(blocked.headers.get("ratelimit-reset")));
    expect(upstream.requests.filter((r) => r.headers["x-forwarded-path"] === "/basic")).toHaveLength(6);
  });

  it("counts against the same service from different routes (service-scoped plugin)", async () => {
    await awayFromWindowEdge(HOUR);
    for (let i = 1; i <= 3; i++)
      expect((await get(`${gw.proxyUrl}/shared-1`)).headers.get("x-ratelimit-remaining-hour")).toBe(
        String(6 - i),
      );
    for (let i = 4; i <= 6; i++)
      expect((await get(`${gw.proxyUrl}/shared-2`)).headers.get("x-ratelimit-remaining-hour")).toBe(
        String(6 - i),
      );
    expect((await get(`${gw.proxyUrl}/shared-1`)).status).toBe(429);
  });

  it("handles multiple limits: the exceeded window blocks, the others are not charged", async () => {
    await awayFromWindowEdge(60_000);
    for (let i = 1; i <= 3; i++) {
      const res = await get(`${gw.proxyUrl}/multi`);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit-minute")).toBe("3");
      expect(res.headers.get("x-ratelimit-remaining-minute")).toBe(String(3 - i));
      expect(res.headers.get("x-ratelimit-limit-hour")).toBe("5");
      expect(res.headers.get("x-ratelimit-remaining-hour")).toBe(String(5 - i));
    }
    const res = await get(`${gw.proxyUrl}/multi`);
    expect(res.status).toBe(429);
    expect(res.headers.get("x-ratelimit-remaining-hour")).toBe("2");
    expect(res.headers.get("x-ratelimit-remaining-minute")).toBe("0");
    // RateLimit-* describe the most restrictive window: the minute
    expect(res.headers.get("ratelimit-limit")).toBe("3");
    expect(Number(res.headers.get("ratelimit-reset"))).toBeLessThanOrEqual(60);
  });

  it("hide_client_headers sends no rate-limit headers, and no Retry-After on 429", async () => {
    const ok = await get(`${gw.proxyUrl}/hidden`);
    expect(ok.status).toBe(200);
    for (const h of [
      "x-ratelimit-limit-hour",
      "x-ratelimit-remaining-hour",
      "ratelimit-limit",
      "ratelimit-reset",
    ]) {
      expect(ok.headers.get(h)).toBeNull();
    }
    const blocked = await get(`${gw.proxyUrl}/hidden`);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("retry-after")).toBeNull();
    expect(blocked.headers.get("x-ratelimit-remaining-hour")).toBeNull();
  });

  it("answers with error_code and error_message when configured", async () => {
    expect((await get(`${gw.proxyUrl}/custom`)).status).toBe(200);
    const res = await get(`${gw.proxyUrl}/custom`);
    expect(res.status).toBe(503);
    expect(res.json().message).toBe("Slow down");
  });

  it("limit_by credential: each key has its own counter, even for the same consumer", async () => {
    await awayFromWindowEdge(HOUR);
    for (let i = 1; i <= 6; i++) {
      const res = await get(`${gw.proxyUrl}/cred`, { apikey: "bob-key-1" });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-remaining-hour")).toBe(String(6 - i));
    }
    expect((await get(`${gw.proxyUrl}/cred`, { apikey: "bob-key-1" })).status).toBe(429);
    expect((await get(`${gw.proxyUrl}/cred`, { apikey: "bob-key-2" })).status).toBe(200);
  });

  it("a consumer-scoped plugin overrides the route's limit for that consumer", async () => {
    await awayFromWindowEdge(HOUR);
    for (let i = 1; i <= 8; i++) {
      const res = await get(`${gw.proxyUrl}/cred`, { apikey: "alice-key" });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit-hour")).toBe("8");
      expect(res.headers.get("x-ratelimit-remaining-hour")).toBe(String(8 - i));
    }
    expect((await get(`${gw.proxyUrl}/cred`, { apikey: "alice-key" })).status).toBe(429);
  });

  it("limit_by header counts per header value and falls back to the client IP", async () => {
    await awayFromWindowEdge(HOUR);
    const a = { "x-tenant": "a" };
    expect((await burst(`${gw.proxyUrl}/header`, 3, a)).sort()).toEqual([200, 200, 429]);
    expect((await get(`${gw.proxyUrl}/header`, { "x-tenant": "b" })).status).toBe(200);
    expect((await burst(`${gw.proxyUrl}/header`, 3)).sort()).toEqual([200, 200, 429]);
  });

  it("limit_by path counts the configured path; other paths count by client IP", async () => {
    await awayFromWindowEdge(HOUR);
    expect((await get(`${gw.proxyUrl}/by-path/limited`)).status).toBe(200);
    expect((await get(`${gw.proxyUrl}/by-path/limited`)).status).toBe(429);
    expect((await get(`${gw.proxyUrl}/by-path/other`)).status).toBe(200);
    expect((await get(`${gw.proxyUrl}/by-path/another`)).status).toBe(429);
  });

  it("admits exactly the limit under a concurrent burst: 200 parallel requests, limit 50", async () => {
    await awayFromWindowEdge(HOUR);
    const before = upstream.requests.filter((r) => r.headers["x-forwarded-path"] === "/burst").length;
    const statuses = await burst(`${gw.proxyUrl}/burst`, 200);
    expect(countOf(statuses, 200)).toBe(50);
    expect(countOf(statuses, 429)).toBe(150);
    expect(upstream.requests.filter((r) => r.headers["x-forwarded-path"] === "/burst").length - before).toBe(
      50,
    );
  });

  it("starts a fresh count when the window rolls over", async () => {
    const nextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
    // a burst that straddles a second boundary (a very busy machine) proves nothing: try again
    let first: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      await nextSecond();
      const startedIn = Math.floor(Date.now() / 1000);
      first = await burst(`${gw.proxyUrl}/second`, 4);
      if (Math.floor(Date.now() / 1000) === startedIn) break;
    }
    expect(countOf(first, 200)).toBe(2);
    expect(countOf(first, 429)).toBe(2);
    await nextSecond();
    const next = await get(`${gw.proxyUrl}/second`);
    expect(next.status).toBe(200);
    expect(next.headers.get("x-ratelimit-remaining-second")).toBe("1");
  });

  it("keeps its counters when the same configuration is applied again", async () => {
    await awayFromWindowEdge(HOUR);
    const doc = servicePluginDoc(upstream.url, { name: "rate-limiting", config: { hour: 3 } }, "/reload");
    const gw2 = await startTestGateway(doc);
    try {
      expect((await get(`${gw2.proxyUrl}/reload`)).status).toBe(200);
      expect((await get(`${gw2.proxyUrl}/reload`)).status).toBe(200);
      await gw2.apply(doc);
      const res = await get(`${gw2.proxyUrl}/reload`);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-remaining-hour")).toBe("0");
      expect((await get(`${gw2.proxyUrl}/reload`)).status).toBe(429);
    } finally {
      await gw2.close();
    }
  });
});

describe("rate-limiting config validation", () => {
  it("rejects configs Kong rejects, naming the field", async () => {
    const gw = await startTestGateway({ _format_version: "3.0" });
    try {
      const post = (config: Record<string, unknown>) =>
        postPluginConfig(gw.adminUrl, "rate-limiting", config);
      const noLimit = await post({ limit_by: "ip" });
      expect(noLimit.status).toBe(400);
      expect(noLimit.text).toContain("at least one of these fields must be non-empty");
      const order = await post({ minute: 10, hour: 5 });
      expect(order.status).toBe(400);
      expect(order.text).toContain("The limit for hour(5.0) cannot be lower than the limit for minute(10.0)");
      // where Kong puts them: an entity check at the plugin's @entity, the config's own validator at config
      const entry = (text: string) =>
        (JSON.parse(text) as { fields: { plugins: unknown[] } }).fields.plugins[0];
      expect(entry(noLimit.text)).toEqual({
        "@entity": [
          "at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', " +
            "'config.day', 'config.month', 'config.year'",
        ],
      });
      expect(entry(order.text)).toEqual({
        config: "The limit for hour(5.0) cannot be lower than the limit for minute(10.0)",
      });
      const header = await post({ minute: 1, limit_by: "header" });
      expect(header.status).toBe(400);
      expect(header.text).toContain("header_name");
      const cluster = await post({ minute: 1, policy: "cluster" });
      expect(cluster.status).toBe(400);
      expect(cluster.text).toContain("policy");
      const redisHost = await post({ minute: 1, policy: "redis" });
      expect(redisHost.status).toBe(400);
      expect(redisHost.text).toContain("host");
    } finally {
      await gw.close();
    }
  });
});

describe("rate-limiting, redis policy", () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startTestRedis();
  });

  afterAll(async () => {
    await redis.stop();
  });

  const doc = (routes: PluginRoute[]) =>
    routesWithPlugin(
      upstream.url,
      "rate-limiting",
      routes.map((r) => ({ ...r, config: { policy: "redis", ...r.config } })),
    );

  it("counts in Redis under Kong's key layout with the window's expiry", async () => {
    await awayFromWindowEdge(HOUR);
    const gw = await startTestGateway(
      doc([
        {
          path: "/r-basic",
          config: { hour: 3, redis: { host: "127.0.0.1", port: redis.port, database: 2 } },
        },
      ]),
    );
    try {
      for (let i = 1; i <= 3; i++) {
        const res = await get(`${gw.proxyUrl}/r-basic`);
        expect(res.status).toBe(200);
        expect(res.headers.get("x-ratelimit-remaining-hour")).toBe(String(3 - i));
      }
      const blocked = await get(`${gw.proxyUrl}/r-basic`);
      expect(blocked.status).toBe(429);
      expect(blocked.json().message).toBe("API rate limit exceeded");
      await redis.command("SELECT", "2");
      const keys = await redis.command(
        "EVAL",
        "redis.call('SELECT', 2) return redis.call('KEYS', 'ratelimit:*')",
        "0",
      );
      expect(keys).toMatch(/ratelimit:[0-9a-f-]{36}:[0-9a-f-]{36}:127\.0\.0\.1:\d{13}:hour/);
    } finally {
      await gw.close();
    }
  });

  it("cuts windows on the Redis server's clock exactly as Kong's calendar windows (months, years, leap days)", async () => {
    const client = new Redis({ host: "127.0.0.1", port: redis.port, lazyConnect: true });
    await client.connect();
    try {
      const script = `${WINDOW_START_LUA}
local out = {}
for i = 1, #ARGV do
  for _, p in ipairs({ ${PERIODS.map((p) => `'${p}'`).join(", ")} }) do
    out[#out + 1] = window_start(p, tonumber(ARGV[i]))
  end
end
return out`;
      const edges = [
        "2024-02-29T23:59:59Z",
        "2024-03-01T00:00:00Z",
        "2023-12-31T23:59:59Z",
        "2100-03-01T00:00:00Z",
      ];
      const seconds = fc.sample(fc.integer({ min: 0, max: 7_258_118_400 }), 300);
      seconds.push(...edges.map((d) => Date.parse(d) / 1000));
      const starts = (await client.eval(script, 0, ...seconds.map(String))) as number[];
      const expected = seconds.flatMap((s) => PERIODS.map((p) => periodStart(p, s * 1000 + 999)));
      expect(starts).toEqual(expected);
    } finally {
      client.disconnect();
    }
  });

  it("accepts Kong's legacy flat redis_* fields", async () => {
    const gw = await startTestGateway(
      doc([
        {
          path: "/r-legacy",
          config: { hour: 2, redis_host: "127.0.0.1", redis_port: redis.port },
        },
      ]),
    );
    try {
      await awayFromWindowEdge(HOUR);
      expect(await burst(`${gw.proxyUrl}/r-legacy`, 3).then((s) => s.sort())).toEqual([200, 200, 429]);
    } finally {
      await gw.close();
    }
  });

  it("admits exactly 50 of 200 parallel requests on one gateway", async () => {
    await awayFromWindowEdge(HOUR);
    const gw = await startTestGateway(
      doc([{ path: "/r-burst-one", config: { hour: 50, redis: { host: "127.0.0.1", port: redis.port } } }]),
    );
    try {
      const statuses = await burst(`${gw.proxyUrl}/r-burst-one`, 200);
      expect(countOf(statuses, 200)).toBe(50);
      expect(countOf(statuses, 429)).toBe(150);
    } finally {
      await gw.close();
    }
  });

  it("admits exactly 50 of 200 parallel requests spread over two gateways sharing Redis", async () => {
    await awayFromWindowEdge(HOUR);
    const config = doc([
      { path: "/r-burst-two", config: { hour: 50, redis: { host: "127.0.0.1", port: redis.port } } },
    ]);
    const [a, b] = await Promise.all([startTestGateway(config), startTestGateway(config)]);
    try {
      const statuses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          get(`${(i % 2 === 0 ? a : b).proxyUrl}/r-burst-two`).then((r) => r.status),
        ),
      );
      expect(countOf(statuses, 200)).toBe(50);
      expect(countOf(statuses, 429)).toBe(150);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("fault_tolerant: requests pass while Redis is down and counting resumes when it is back", async () => {
    await awayFromWindowEdge(HOUR);
    const errors: string[] = [];
    const logger = { info: () => {}, warn: () => {}, error: (msg: string) => errors.push(msg) };
    const gw = await startTestGateway(
      doc([
        { path: "/r-tolerant", config: { hour: 1000, redis: { host: "127.0.0.1", port: redis.port } } },
        {
          path: "/r-strict",
          config: { hour: 1000, fault_tolerant: false, redis: { host: "127.0.0.1", port: redis.port } },
        },
      ]),
      { logger },
    );
    try {
      const before = await get(`${gw.proxyUrl}/r-tolerant`);
      expect(before.status).toBe(200);
      expect(before.headers.get("x-ratelimit-remaining-hour")).not.toBeNull();
      expect((await get(`${gw.proxyUrl}/r-strict`)).status).toBe(200);

      await redis.kill();
      const during = await get(`${gw.proxyUrl}/r-tolerant`);
      expect(during.status).toBe(200);
      expect(during.headers.get("x-ratelimit-remaining-hour")).toBeNull();
      expect(errors.some((e) => e.startsWith("rate-limiting: failed to get usage"))).toBe(true);
      const strict = await get(`${gw.proxyUrl}/r-strict`);
      expect(strict.status).toBe(500);
      expect(strict.json().message).toBe("An unexpected error occurred");

      await redis.start();
      let resumed: Reply | null = null;
      for (let i = 0; i < 50 && resumed === null; i++) {
        const res = await get(`${gw.proxyUrl}/r-strict`);
        if (res.status === 200) resumed = res;
        else await new Promise((r) => setTimeout(r, 100));
      }
      expect(resumed?.headers.get("x-ratelimit-limit-hour")).toBe("1000");
    } finally {
      await gw.close();
    }
  });

  it("authenticates with redis.password (and fails closed on a wrong one when not fault tolerant)", async () => {
    const secured = await startTestRedis({ password: "s3cret-pass" });
    const gw = await startTestGateway(
      doc([
        {
          path: "/r-auth",
          config: { hour: 2, redis: { host: "127.0.0.1", port: secured.port, password: "s3cret-pass" } },
        },
        {
          path: "/r-badauth",
          config: {
            hour: 2,
            fault_tolerant: false,
            redis: { host: "127.0.0.1", port: secured.port, password: "wrong", timeout: 500 },
          },
        },
      ]),
    );
    try {
      await awayFromWindowEdge(HOUR);
      expect((await burst(`${gw.proxyUrl}/r-auth`, 3)).sort()).toEqual([200, 200, 429]);
      const refused = await get(`${gw.proxyUrl}/r-badauth`);
      expect(refused.status).toBe(500);
      expect(refused.json().message).toBe("An unexpected error occurred");
    } finally {
      await gw.close();
      await secured.stop();
    }
  });

  it("fault_tolerant: passes when Redis was never reachable", async () => {
    const gw = await startTestGateway(
      doc([
        { path: "/r-nowhere", config: { minute: 1, redis: { host: "127.0.0.1", port: 1, timeout: 500 } } },
      ]),
    );
    try {
      const statuses = await burst(`${gw.proxyUrl}/r-nowhere`, 3);
      expect(statuses).toEqual([200, 200, 200]);
    } finally {
      await gw.close();
    }
  });
});

/** `time` of the process log line `msg` (the process's own clock), ms. */
function loggedAt(log: readonly string[], msg: string): number {
  const line = log.find((l) => l.includes(`"msg":"${msg}"`));
  if (line === undefined) throw new Error(`no "${msg}" log line`);
  return Date.parse((JSON.parse(line) as { time: string }).time);
}

describe("rate-limiting, gateway processes sharing one Redis", () => {
  const cleanups = cleanupsAfterEach();
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startTestRedis();
  });

  afterAll(async () => {
    await redis.stop();
  });

  /** A config file with one rate-limited route per entry, counted in the test Redis. */
  const configFile = (routes: PluginRoute[]) => {
    const cfg = writeGatewayConfig(
      routesWithPlugin(
        upstream.url,
        "rate-limiting",
        routes.map((r) => ({
          ...r,
          config: {
            policy: "redis",
            redis: { host: "127.0.0.1", port: redis.port, timeout: 500 },
            ...r.config,
          },
        })),
      ),
    );
    cleanups.push(() => cfg.remove());
    return cfg.path;
  };

  const replicas = async (path: string, clockOffsets: Array<string | undefined>) => {
    const started = await Promise.all(
      clockOffsets.map((clockOffset) => startGatewayProcess(path, clockOffset ? { clockOffset } : {})),
    );
    for (const gw of started) cleanups.push(() => gw.stop());
    return started;
  };

  it("three replicas admit exactly the limit of one concurrent burst between them", async () => {
    const gws = await replicas(configFile([{ path: "/p-three", config: { hour: 30 } }]), [
      undefined,
      undefined,
      undefined,
    ]);
    await awayFromWindowEdge(HOUR);
    const statuses = await Promise.all(
      Array.from({ length: 150 }, (_, i) => get(`${gws[i % 3]!.proxyUrl}/p-three`).then((r) => r.status)),
    );
    expect(countOf(statuses, 200)).toBe(30);
    expect(countOf(statuses, 429)).toBe(120);
  });

  it("replicas whose clocks disagree count into one window, the Redis server's, and report its reset", async () => {
    // 5000 s ahead: another hour window, and 1400 s further into it, on the skewed clock
    const [onTime, skewed] = await replicas(configFile([{ path: "/p-skew", config: { hour: 4 } }]), [
      undefined,
      "+5000s",
    ]);
    const shift = loggedAt(skewed!.log, "gateway started") - loggedAt(onTime!.log, "gateway started");
    expect(shift).toBeGreaterThan(4_900_000);
    expect(shift).toBeLessThan(5_100_000);

    await awayFromWindowEdge(HOUR, 10_000);
    await redis.command("FLUSHALL");
    const expectedReset = 3600 - Math.floor((Date.now() % HOUR) / 1000);
    const answers = [];
    for (const gw of [onTime!, skewed!, onTime!, skewed!]) answers.push(await get(`${gw.proxyUrl}/p-skew`));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((a) => a.headers.get("x-ratelimit-remaining-hour"))).toEqual(["3", "2", "1", "0"]);
    for (const a of answers) {
      expect(Math.abs(Number(a.headers.get("ratelimit-reset")) - expectedReset)).toBeLessThanOrEqual(2);
    }
    const refused = await get(`${skewed!.proxyUrl}/p-skew`);
    expect(refused.status).toBe(429);
    expect(Math.abs(Number(refused.headers.get("retry-after")) - expectedReset)).toBeLessThanOrEqual(2);
    // one counter, under the window start of the server's clock (both replicas' requests in it)
    const windowStart = Date.now() - (Date.now() % HOUR);
    const keys = await redis.command("EVAL", "return redis.call('KEYS', 'ratelimit:*')", "0");
    expect(keys.match(/ratelimit:\S+/g)).toEqual([
      expect.stringMatching(new RegExp(`:${windowStart}:hour$`)),
    ]);
  });

  it("Redis killed mid-burst: fault-tolerant replicas pass every request, strict ones answer 500; counting resumes", async () => {
    const gws = await replicas(
      configFile([
        { path: "/p-tolerant", config: { hour: 10_000 } },
        { path: "/p-strict", config: { hour: 10_000, fault_tolerant: false } },
      ]),
      [undefined, undefined, undefined],
    );
    await awayFromWindowEdge(HOUR);
    const tolerant = Array.from({ length: 90 }, async (_, i) => {
      if (i === 30) await redis.kill();
      return get(`${gws[i % 3]!.proxyUrl}/p-tolerant`);
    });
    const answers = [];
    for (const request of tolerant) answers.push(await request);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    // after the outage began: proxied without rate-limit headers (Kong: no usage, no headers)
    expect(answers.slice(-3).map((a) => a.headers.get("x-ratelimit-remaining-hour"))).toEqual([
      null,
      null,
      null,
    ]);
    for (const gw of gws) {
      const strict = await get(`${gw.proxyUrl}/p-strict`);
      expect(strict.status).toBe(500);
      expect(strict.json().message).toBe("An unexpected error occurred");
    }

    await redis.start();
    for (const gw of gws) {
      await until(async () => (await get(`${gw.proxyUrl}/p-strict`)).status === 200, 10_000);
    }
    const back = await get(`${gws[0]!.proxyUrl}/p-tolerant`);
    expect(back.headers.get("x-ratelimit-limit-hour")).toBe("10000");
  });
});

describe("rate-limiting headers over the upstream's", () => {
  it("replace upstream fields of the same name (any case); the upstream's other fields pass", async () => {
    const noisy = await startEchoUpstream({
      headers: { "X-RateLimit-Limit-Minute": "999", "RateLimit-Remaining": "999", "X-Upstream": "kept" },
    });
    const gw = await startTestGateway({
      _format_version: "3.0",
      services: [
        {
          name: "noisy",
          url: noisy.url,
          routes: [
            { name: "r", paths: ["/n"], plugins: [{ name: "rate-limiting", config: { minute: 50 } }] },
          ],
        },
      ],
    });
    try {
      await awayFromWindowEdge(60_000);
      const res = await fetch(`${gw.proxyUrl}/n`);
      await res.text();
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit-minute")).toBe("50");
      expect(res.headers.get("ratelimit-remaining")).toBe("49");
      expect(res.headers.get("x-upstream")).toBe("kept");
    } finally {
      await gw.close();
      await noisy.close();
    }
  });
});

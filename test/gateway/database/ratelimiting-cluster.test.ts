/**
 * `policy: cluster` of rate-limiting and response-ratelimiting in database mode: two gateways on
 * one real PostgreSQL database (test/support/postgres.ts) count one limit together in Kong's
 * tables (ratelimiting_metrics, response_ratelimiting_metrics), exactly under concurrent
 * requests, windows on the database's clock; only the configured periods are counted. Kong's
 * spec/03-plugins/23-rate-limiting and 24-response-rate-limiting `cluster` cases re-expressed.
 * DB-less, the same config is refused in Kong's words.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePluginConfig } from "../../../src/gateway/config/plugin-config.js";
import { rateLimitingSchema } from "../../../src/gateway/plugins/rate-limiting/schema.js";
import { responseRateLimitingSchema } from "../../../src/gateway/plugins/response-ratelimiting/schema.js";
import type { Gateway } from "../../../src/gateway/server.js";
import type { PostgresSettings } from "../../../src/gateway/store/postgres/settings.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { until } from "../../support/gateway.js";
import { AdminClient } from "./_admin.js";
import { postgresPerFile } from "./_support.js";

const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);

/** The upstream: answers `x-kong-limit` from the `limit` query argument, echoes the request headers. */
let upstream: Server;
let upstreamUrl: string;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const limit = new URL(req.url ?? "/", "http://x").searchParams.get("limit");
    if (limit !== null) res.setHeader("x-kong-limit", limit);
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

/** Keep a sequence inside one minute window. */
async function awayFromMinuteEdge(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) await new Promise((r) => setTimeout(r, left + 50));
}

/** Two gateways on a fresh database, a service and route written through the first one's Admin API. */
async function twoGatewaysWith(
  plugin: Record<string, unknown>,
): Promise<{ a: Gateway; b: Gateway; settings: PostgresSettings; pluginId: string }> {
  const settings = await db.freshDatabase();
  const a = await db.gateway(settings);
  const b = await db.gateway(settings);
  const admin = new AdminClient(a.adminUrl!);
  const svc = await admin.post("/services", { name: "media", url: upstreamUrl });
  expect(svc.status).toBe(201);
  expect((await admin.post("/services/media/routes", { name: "media", paths: ["/media"] })).status).toBe(201);
  const p = await admin.post("/plugins", { ...plugin, service: { id: svc.body.id } });
  expect(p.status, p.text).toBe(201);
  // both replicas serve the plugin (the second hears of the write through the database)
  for (const gw of [a, b]) {
    await until(async () => {
      const r = await fetch(`${gw.proxyUrl}/media`);
      await r.text();
      return r.headers.has("x-ratelimit-limit-minute") || r.headers.has("x-ratelimit-limit-video-minute");
    }, 5000);
  }
  return { a, b, settings, pluginId: String(p.body.id) };
}

async function rows(settings: PostgresSettings, sql: string): Promise<string[]> {
  const out = await db.pg().sql(sql, settings.database);
  return out.split("\n").filter((l) => l !== "");
}

describe("rate-limiting, policy cluster (database mode)", () => {
  it("two gateways on one database never admit more than the limit together, counted in ratelimiting_metrics", async () => {
    await awayFromMinuteEdge();
    const { a, b, settings } = await twoGatewaysWith({
      name: "rate-limiting",
      config: { minute: 7, hour: 100, policy: "cluster" },
    });
    // the warm-up requests above counted too: start from what the database says
    const before = Number(
      (
        await rows(
          settings,
          "SELECT coalesce(sum(value), 0) FROM ratelimiting_metrics WHERE period = 'minute'",
        )
      )[0],
    );
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const r = await fetch(`${(i % 2 === 0 ? a : b).proxyUrl}/media`);
        await r.text();
        return r.status;
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(7 - before);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - (7 - before));

    const refused = await fetch(`${b.proxyUrl}/media`);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ message: "API rate limit exceeded" });
    expect(refused.headers.get("x-ratelimit-remaining-minute")).toBe("0");
    expect(refused.headers.get("x-ratelimit-limit-hour")).toBe("100");
    expect(refused.headers.get("x-ratelimit-remaining-hour")).toBe("93");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);

    // Kong's table: one row per configured period, the minute's window start on the database clock
    const counted = await rows(
      settings,
      `SELECT identifier, period, value, period_date = date_trunc(period, now(), 'UTC'),
              service_id::text <> '00000000-0000-0000-0000-000000000000',
              route_id::text = '00000000-0000-0000-0000-000000000000'
         FROM ratelimiting_metrics ORDER BY period`,
    );
    expect(counted).toEqual(["127.0.0.1|hour|7|t|t|t", "127.0.0.1|minute|7|t|t|t"]);
  });
});

describe("response-ratelimiting, policy cluster (database mode)", () => {
  it("two gateways count what the upstream reports into one counter; only configured periods", async () => {
    await awayFromMinuteEdge();
    const { a, b, settings } = await twoGatewaysWith({
      name: "response-ratelimiting",
      config: { policy: "cluster", limits: { video: { minute: 5 } } },
    });
    const upstreamSaw = async (gw: Gateway) => {
      const r = await fetch(`${gw.proxyUrl}/media`);
      return ((await r.json()) as { headers: Record<string, string> }).headers["x-ratelimit-remaining-video"];
    };
    const first = await fetch(`${a.proxyUrl}/media?limit=video%3D3`);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-remaining-video-minute")).toBe("2");
    expect(first.headers.get("x-ratelimit-limit-video-second")).toBeNull();
    await first.text();
    // the log phase counts after the answer; the other replica reads the same row
    await until(async () => (await upstreamSaw(b)) === "2", 3000);
    const second = await fetch(`${b.proxyUrl}/media?limit=video%3D2`);
    expect(second.status).toBe(200);
    await second.text();
    await until(async () => (await upstreamSaw(a)) === "0", 3000);
    const refused = await fetch(`${a.proxyUrl}/media?limit=video%3D1`);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toBe("");

    const counted = await rows(
      settings,
      `SELECT identifier, period, value, period_date = date_trunc('minute', now(), 'UTC')
         FROM response_ratelimiting_metrics`,
    );
    expect(counted).toEqual(["127.0.0.1|video_minute|5|t"]);
  });
});

describe("policy cluster DB-less", () => {
  it("is refused as Kong refuses it (its one_of without cluster)", () => {
    const rl = parsePluginConfig(rateLimitingSchema, { minute: 1, policy: "cluster" });
    expect(rl.ok ? null : rl.errors).toEqual({ policy: "expected one of: local, redis" });
    const rrl = parsePluginConfig(responseRateLimitingSchema, {
      policy: "cluster",
      limits: { v: { minute: 1 } },
    });
    expect(rrl.ok ? null : rrl.errors).toEqual({ policy: "expected one of: local, redis" });
  });
});

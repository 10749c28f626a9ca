/**
 * The database goes away under a running gateway (fast shutdown, then a crash): the proxy keeps
 * serving its last configuration, every write answers 503 with a JSON message and nothing is
 * half-written, GET /status says `database.reachable: false` (Kong's field) while /status/ready
 * stays 200 — a replica with a loaded configuration can serve, unlike Kong's 503 that would pull
 * every replica at once — and once the database is back the gateway re-subscribes, reports it
 * reachable, takes writes again and serves what changed, without a restart.
 */
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import type { PostgresSettings } from "../../../src/gateway/store/postgres/settings.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { type EchoUpstream, replyWith, startEchoUpstream, until } from "../../support/gateway.js";
import { postgresPerFile } from "./_support.js";

const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);

let upstream: EchoUpstream;
beforeAll(async () => {
  upstream = await startEchoUpstream({ handler: replyWith("up") });
});
afterAll(async () => {
  await upstream?.close();
});

/** The fields these tests read from Admin API and status answers. */
interface Answer {
  message?: string;
  name?: string;
  paths?: string[];
  database: { reachable: boolean };
  data: { name: string }[];
}

async function call(base: string | null, method: string, path: string, body?: unknown) {
  if (base === null) throw new Error("listener off");
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body !== undefined
      ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
      : {}),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === "" ? null : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, type: res.headers.get("content-type"), body: json as Answer };
}

async function gatewayWithARoute(): Promise<{ gw: Gateway; settings: PostgresSettings }> {
  const settings = await db.freshDatabase();
  const gw = await db.gateway(settings);
  expect((await call(gw.adminUrl, "POST", "/services", { name: "s", url: upstream.url })).status).toBe(201);
  expect((await call(gw.adminUrl, "POST", "/services/s/routes", { name: "r", paths: ["/r"] })).status).toBe(
    201,
  );
  return { gw, settings };
}

const reachable = async (gw: Gateway) => (await call(gw.statusUrl, "GET", "/status")).body.database.reachable;

/** What every write answers while the database is away: 503, JSON, a message. */
async function expectWritesRefused(gw: Gateway) {
  const writes = [
    call(gw.adminUrl, "POST", "/services", { name: "new", url: upstream.url }),
    call(gw.adminUrl, "PATCH", "/routes/r", { paths: ["/elsewhere"] }),
    call(gw.adminUrl, "PUT", "/consumers/alice", {}),
    call(gw.adminUrl, "DELETE", "/routes/r"),
    call(gw.adminUrl, "POST", "/config", { _format_version: "3.0" }),
  ];
  for (const w of await Promise.all(writes)) {
    expect(w.status).toBe(503);
    expect(w.type).toMatch(/^application\/json/);
    expect(w.body.message).toMatch(/^database unavailable/);
  }
}

describe("the database goes away", () => {
  for (const how of ["stop", "kill"] as const) {
    it(`${how}: the proxy serves the last configuration, writes answer 503, status says unreachable, ready stays 200`, async () => {
      const { gw } = await gatewayWithARoute();
      expect(await reachable(gw)).toBe(true);

      await db.pg()[how]();
      try {
        await until(async () => (await reachable(gw)) === false, 5000);
        const proxied = await fetch(`${gw.proxyUrl}/r`);
        expect(proxied.status).toBe(200);
        expect(await proxied.text()).toBe("up");
        expect((await call(gw.statusUrl, "GET", "/status/ready")).status).toBe(200);
        await expectWritesRefused(gw);
        // reads keep answering from the loaded configuration
        const listed = await call(gw.adminUrl, "GET", "/routes");
        expect(listed.status).toBe(200);
        expect(listed.body.data.map((r) => r.name)).toEqual(["r"]);
      } finally {
        await db.pg().start();
      }

      await until(async () => (await reachable(gw)) === true, 10_000);
      // nothing was half-written while it was away
      expect((await call(gw.adminUrl, "GET", "/services/new")).status).toBe(404);
      const added = await call(gw.adminUrl, "POST", "/services/s/routes", {
        name: "r-after",
        paths: ["/after"],
      });
      expect(added.body).toMatchObject({ name: "r-after", paths: ["/after"] });
      expect(added.status).toBe(201);
      expect((await fetch(`${gw.proxyUrl}/after`)).status).toBe(200);
      expect((await call(gw.adminUrl, "DELETE", "/routes/r")).status).toBe(204);
      expect((await fetch(`${gw.proxyUrl}/r`)).status).toBe(404);
    }, 60_000);
  }

  it("what another node wrote while this one was away is served once the database is back", async () => {
    const { gw, settings } = await gatewayWithARoute();
    const other = await db.gateway(settings);
    await db.pg().stop();
    await until(async () => (await reachable(gw)) === false && (await reachable(other)) === false, 5000);
    await db.pg().start();
    // the other node is back first and writes; however the notification races gw's re-subscription,
    // gw must end up serving it
    await until(async () => (await reachable(other)) === true, 10_000);
    expect(
      (await call(other.adminUrl, "POST", "/services/s/routes", { name: "r2", paths: ["/r2"] })).status,
    ).toBe(201);
    await until(async () => (await fetch(`${gw.proxyUrl}/r2`)).status === 200, 5000);
    expect(await reachable(gw)).toBe(true);
  }, 60_000);

  it("a gateway cannot start on a database it cannot reach, and says where and what to check", async () => {
    const settings = await db.freshDatabase();
    await expect(db.gateway({ ...settings, port: 1 })).rejects.toMatchObject({
      code: "E_DATABASE",
      message: expect.stringContaining(`${settings.user}@127.0.0.1:1/${settings.database}`),
    });
    const wrong = db.gateway({ ...settings, password: "not-the-password" });
    await expect(wrong).rejects.toMatchObject({
      message: expect.stringContaining("password authentication failed"),
    });
    await expect(wrong).rejects.not.toMatchObject({ message: expect.stringContaining("not-the-password") });
  });
});

/**
 * Several gateway processes on one PostgreSQL database (Kong's database mode, the cluster of
 * replicas): a write through any replica's Admin API serves on every replica within a second —
 * LISTEN/NOTIFY, with polling catching a notification that never came — and a replica cut off from
 * the database keeps proxying, refuses writes with 503, and catches up on its own once it is back.
 */
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENTITIES_TABLE, STATE_TABLE } from "../../../src/gateway/store/postgres/schema.js";
import type { PostgresSettings } from "../../../src/gateway/store/postgres/settings.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { type EchoUpstream, replyWith, startEchoUpstream, until } from "../../support/gateway.js";
import { type GatewayProcess, startGatewayProcess } from "../../support/gateway-process.js";
import { postgresPerFile } from "./_support.js";

const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);

/** A second login role with the owner's rights: one replica's access can be cut alone. */
const REPLICA_ROLE = "kong_replica_b";
const REPLICA_PASSWORD = "replica-b-password";

let settings: PostgresSettings;
let upstream: EchoUpstream;
let a: GatewayProcess;
let b: GatewayProcess;

beforeAll(async () => {
  settings = await db.freshDatabase();
  await db
    .pg()
    .sql(
      `CREATE ROLE ${REPLICA_ROLE} LOGIN PASSWORD '${REPLICA_PASSWORD}' IN ROLE ${settings.user}`,
      settings.database,
    );
  upstream = await startEchoUpstream({ handler: replyWith("upstream") });
  [a, b] = await Promise.all([
    startGatewayProcess(null, { database: settings }),
    startGatewayProcess(null, { database: { ...settings, user: REPLICA_ROLE, password: REPLICA_PASSWORD } }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await upstream?.close();
});

async function admin(gw: GatewayProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    ...(body !== undefined
      ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
      : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? null : JSON.parse(text) };
}

const statusOf = async (gw: GatewayProcess, path: string) => (await fetch(`${gw.proxyUrl}${path}`)).status;

/** ms from now until `gw` routes `path` (polled every 5 ms, at most `limitMs`). */
async function msUntilServed(gw: GatewayProcess, path: string, started: number, limitMs = 5000) {
  for (;;) {
    if ((await statusOf(gw, path)) === 200) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`${path} not served within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("replicas on one database", () => {
  it("a write through one replica's Admin API serves on the other within a second, every time", async () => {
    const svc = await admin(a, "POST", "/services", { name: "shared", url: upstream.url });
    expect(svc.status).toBe(201);
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const writer = i % 2 === 0 ? a : b;
      const reader = writer === a ? b : a;
      const started = Date.now();
      const route = await admin(writer, "POST", "/services/shared/routes", {
        name: `r${i}`,
        paths: [`/p${i}`],
      });
      expect(route.status).toBe(201);
      // the writer serves its own write before it answers
      expect(await statusOf(writer, `/p${i}`)).toBe(200);
      delays.push(await msUntilServed(reader, `/p${i}`, started));
    }
    expect(Math.max(...delays)).toBeLessThan(1000);
    // both list the same routes, with the same timestamps
    const [la, lb] = await Promise.all([admin(a, "GET", "/routes"), admin(b, "GET", "/routes")]);
    expect(la.body.data).toHaveLength(10);
    expect(lb.body.data).toEqual(la.body.data);
  });

  it("an Admin API request on any replica reads every write committed before it (as Kong reads the database)", async () => {
    for (let i = 0; i < 5; i++) {
      expect((await admin(a, "POST", "/services", { name: `ryw${i}`, url: upstream.url })).status).toBe(201);
      // at once, no waiting for the announcement
      expect((await admin(b, "GET", `/services/ryw${i}`)).status).toBe(200);
      const put = await admin(b, "PUT", `/services/ryw${i}`, { url: upstream.url, retries: 2 });
      expect(put.status).toBe(200);
      expect(put.body.retries).toBe(2);
      expect((await admin(a, "DELETE", `/services/ryw${i}`)).status).toBe(204);
      expect((await admin(b, "GET", `/services/ryw${i}`)).status).toBe(404);
    }
  });

  it("replicas that load only what changed serve what one loading everything serves", async () => {
    const hashes = async (...gws: GatewayProcess[]) =>
      Promise.all(
        gws.map(async (gw) => (await admin(gw, "GET", "/status")).body.configuration_hash as string),
      );
    const agree = async (label: string) => {
      const fresh = await startGatewayProcess(null, { database: settings }); // reads every entity
      try {
        await until(async () => new Set(await hashes(a, b, fresh)).size === 1, 3000).catch(async () => {
          throw new Error(`${label}: replicas disagree: ${(await hashes(a, b, fresh)).join(" ")}`);
        });
      } finally {
        await fresh.stop();
      }
    };
    // every kind of change, through both replicas
    expect((await admin(a, "POST", "/services", { name: "mixed", url: upstream.url })).status).toBe(201);
    expect((await admin(b, "POST", "/services/mixed/routes", { name: "m1", paths: ["/m1"] })).status).toBe(
      201,
    );
    expect((await admin(a, "POST", "/services/mixed/routes", { name: "m2", paths: ["/m2"] })).status).toBe(
      201,
    );
    expect((await admin(b, "PATCH", "/routes/m1", { paths: ["/m1-moved"] })).status).toBe(200);
    const m2 = (await admin(a, "GET", "/routes/m2")).body.id as string;
    expect((await admin(a, "DELETE", "/routes/m2")).status).toBe(204);
    // the same id again after its delete (a tombstone older than the row)
    expect(
      (
        await admin(b, "PUT", `/routes/${m2}`, {
          name: "m2-again",
          paths: ["/m2"],
          service: { name: "mixed" },
        })
      ).status,
    ).toBe(200);
    expect((await admin(a, "POST", "/consumers", { username: "mixed-user" })).status).toBe(201);
    expect((await admin(b, "POST", "/consumers/mixed-user/key-auth", { key: "mixed-key" })).status).toBe(201);
    expect((await admin(a, "DELETE", "/consumers/mixed-user")).status).toBe(204); // cascades to the key
    await agree("after entity writes");
    expect(await statusOf(b, "/m1-moved")).toBe(200);
    expect(await statusOf(b, "/m2")).toBe(200);

    // POST /config replaces everything (older states are read whole), then more writes on top
    const doc = {
      _format_version: "3.0",
      services: [
        { name: "shared", url: upstream.url, routes: [{ name: "after-config", paths: ["/after-config"] }] },
      ],
    };
    expect((await admin(b, "POST", "/config", doc)).status).toBe(201);
    expect(
      (await admin(a, "POST", "/services/shared/routes", { name: "on-top", paths: ["/on-top"] })).status,
    ).toBe(201);
    await agree("after POST /config");
    expect(await statusOf(a, "/m1-moved")).toBe(404);
    expect(await statusOf(b, "/on-top")).toBe(200);
  });

  it("a change that was never announced (no NOTIFY) is picked up by polling", async () => {
    await admin(a, "POST", "/services", { name: "quiet", url: upstream.url });
    await admin(a, "POST", "/services/quiet/routes", { name: "quiet-route", paths: ["/before"] });
    await until(async () => (await statusOf(b, "/before")) === 200, 2000);
    // what a lost notification looks like: the state changes, nobody is told
    const started = Date.now();
    await db.pg().sql(
      `UPDATE ${ENTITIES_TABLE} SET data = jsonb_set(data, '{paths}', '["/after"]'),
              version = (SELECT version + 1 FROM ${STATE_TABLE})
        WHERE kind = 'routes' AND data->>'name' = 'quiet-route';
       UPDATE ${STATE_TABLE} SET version = version + 1;`,
      settings.database,
    );
    const delays = await Promise.all([
      msUntilServed(a, "/after", started),
      msUntilServed(b, "/after", started),
    ]);
    expect(Math.max(...delays)).toBeLessThan(1500);
    expect(await statusOf(b, "/before")).toBe(404);
  });

  it("a replica cut off from the database keeps proxying, answers writes 503, and catches up once back", async () => {
    await admin(a, "POST", "/services", { name: "cut", url: upstream.url });
    await admin(a, "POST", "/services/cut/routes", { name: "cut-old", paths: ["/cut-old"] });
    await until(async () => (await statusOf(b, "/cut-old")) === 200, 2000);

    // B's role may no longer log in, and its sessions end: B is alone without its database
    await db.pg().sql(
      `ALTER ROLE ${REPLICA_ROLE} NOLOGIN;
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${REPLICA_ROLE}';`,
      settings.database,
    );
    await until(async () => (await admin(b, "GET", "/status")).body.database.reachable === false, 3000);

    expect(await statusOf(b, "/cut-old")).toBe(200); // the last configuration keeps serving
    const refused = await admin(b, "POST", "/services", { name: "never", url: upstream.url });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("content-type")).toMatch(/^application\/json/);
    expect(typeof refused.body.message).toBe("string");
    expect(refused.body.message).not.toContain(REPLICA_PASSWORD);

    // meanwhile the cluster moves on through A
    expect(
      (await admin(a, "POST", "/services/cut/routes", { name: "cut-new", paths: ["/cut-new"] })).status,
    ).toBe(201);
    await new Promise((r) => setTimeout(r, 1200)); // longer than a poll and a reconnect attempt
    expect(await statusOf(b, "/cut-new")).toBe(404);

    // B may log in again: it re-subscribes on its own, reports the database reachable and has caught up
    await db.pg().sql(`ALTER ROLE ${REPLICA_ROLE} LOGIN`, settings.database);
    const back = Date.now();
    await until(async () => (await admin(b, "GET", "/status")).body.database.reachable === true, 5000);
    await msUntilServed(b, "/cut-new", back, 3000);
    expect((await admin(b, "POST", "/services", { name: "after-outage", url: upstream.url })).status).toBe(
      201,
    );
    expect(b.log.some((line) => line.includes(REPLICA_PASSWORD))).toBe(false);
  });
});

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

  it("a change that was never announced (no NOTIFY) is picked up by polling", async () => {
    await admin(a, "POST", "/services", { name: "quiet", url: upstream.url });
    await admin(a, "POST", "/services/quiet/routes", { name: "quiet-route", paths: ["/before"] });
    await until(async () => (await statusOf(b, "/before")) === 200, 2000);
    // what a lost notification looks like: the state changes, nobody is told
    const started = Date.now();
    await db.pg().sql(
      `UPDATE ${ENTITIES_TABLE} SET data = jsonb_set(data, '{paths}', '["/after"]') WHERE kind = 'routes' AND data->>'name' = 'quiet-route';
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

/**
 * The microservices starter on a real engine: three services routed by prefix, two gateway replicas
 * behind Caddy sharing their state in the stack's Redis (one rate limit across both, one cache),
 * `users` scaled to two replicas that both serve; killing one users container keeps requests
 * succeeding through the other, and `stack up` restores it.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { parseEnvFile } from "../../src/stack/env-file.js";
import { initStack, stackOk, upResult } from "./support/cli.js";
import { docker, projectContainers, projectNetworks, purgeProject, uniqueProject } from "./support/docker.js";
import { freePort, get } from "./support/net.js";

let work: string;
let dir: string;
let project: string;
let base: string;
let apiKey: string;

interface PsRow {
  service: string;
  container: string;
  state: string;
  health: string;
}

async function psRows(): Promise<PsRow[]> {
  const r = await stackOk(["ps", "--dir", dir, "--json"]);
  return (JSON.parse(r.stdout) as { containers: PsRow[] }).containers;
}

/** Sends `n` requests with fresh request ids; returns the ids and statuses. */
async function burst(
  pathname: string,
  n: number,
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<Array<{ rid: string; status: number; headers: Record<string, string> }>> {
  const out: Array<{ rid: string; status: number; headers: Record<string, string> }> = [];
  for (let i = 0; i < n; i++) {
    const rid = `ms-${randomUUID()}`;
    const res = await get(`${base}${pathname}`, { "X-Request-ID": rid, ...headers }, timeoutMs);
    out.push({ rid, status: res.status, headers: res.headers });
  }
  return out;
}

/** Which containers of `service` logged which of the request ids. */
async function servedBy(service: string, rids: string[]): Promise<Map<string, number>> {
  const logs = await stackOk(["logs", service, "--dir", dir]);
  const counts = new Map<string, number>();
  for (const line of logs.stdout.split("\n")) {
    const container = line.split(" | ")[0]?.trim();
    if (!container) continue;
    if (rids.some((rid) => line.includes(rid))) counts.set(container, (counts.get(container) ?? 0) + 1);
  }
  return counts;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "gs-e2e-ms-"));
  dir = path.join(work, "shop");
  project = uniqueProject("ms");
  const httpsPort = await freePort();
  base = `https://127.0.0.1:${httpsPort}`;
  await initStack(dir, "microservices", project, { http: await freePort(), https: httpsPort });
  // Scale users to two replicas in stack.yaml (the single source of truth).
  const file = path.join(dir, "stack.yaml");
  const doc = parseDocument(await readFile(file, "utf8"));
  const services = doc.get("services") as { items: Array<{ get(k: string): unknown }> };
  const index = services.items.findIndex((s) => s.get("name") === "users");
  doc.setIn(["services", index, "replicas"], 2);
  await writeFile(file, doc.toString());
  apiKey = parseEnvFile(await readFile(path.join(dir, ".env"), "utf8")).DEMO_API_KEY as string;
});

afterAll(async () => {
  await purgeProject(project);
  await rm(work, { recursive: true, force: true });
});

describe("microservices stack on a real engine", () => {
  it("comes up healthy: two gateway replicas, their Redis, users ×2, orders, catalog, caddy", async () => {
    const r = await stackOk(["up", "--dir", dir, "--json"]);
    expect(upResult(r.stdout).summary).toMatchObject({ create: 8, recreate: 0 });
    const rows = await psRows();
    expect(rows.map((row) => row.container).sort()).toEqual(
      ["caddy-1", "catalog-1", "gateway-1", "gateway-2", "orders-1", "redis-1", "users-1", "users-2"].map(
        (n) => `${project}-${n}`,
      ),
    );
    for (const row of rows) expect(row).toMatchObject({ state: "running", health: "healthy" });
  });

  it("routes three services by prefix", async () => {
    const users = await get(`${base}/api/users/`);
    expect(users.status).toBe(200);
    expect(Array.isArray(users.json())).toBe(true);
    const catalog = await get(`${base}/api/catalog/`);
    expect(catalog.status).toBe(200);
    expect(Array.isArray(catalog.json())).toBe(true);
    expect((await get(`${base}/api/orders/`)).status).toBe(401);
    const orders = await get(`${base}/api/orders/`, { apikey: apiKey });
    expect(orders.status).toBe(200);
    expect(Array.isArray(orders.json())).toBe(true);
    expect((await get(`${base}/api/nowhere`)).status).toBe(404);
  });

  it("balances across both gateway replicas and both users replicas", async () => {
    const sent = await burst("/api/users/", 24);
    expect(sent.every((s) => s.status === 200)).toBe(true);
    const rids = sent.map((s) => s.rid);
    const gateways = await servedBy("gateway", rids);
    expect([...gateways.keys()].sort()).toEqual([`${project}-gateway-1`, `${project}-gateway-2`]);
    const users = await servedBy("users", rids);
    expect([...users.keys()].sort()).toEqual([`${project}-users-1`, `${project}-users-2`]);
  });

  it("counts one rate limit across both gateway replicas: exactly the limit passes through Caddy", async () => {
    // orders: key-auth + rate-limiting 60/minute by consumer, counted in Redis (on its clock)
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 20_000) await new Promise((r) => setTimeout(r, left + 500));
    const first = await get(`${base}/api/orders/`, { apikey: apiKey, "X-Request-ID": `ms-${randomUUID()}` });
    expect(first.status).toBe(200);
    expect(first.headers["x-ratelimit-limit-minute"]).toBe("60");
    const remaining = Number(first.headers["x-ratelimit-remaining-minute"]);
    expect(remaining).toBeGreaterThan(40);
    // the rest of the minute's allowance and 10 more, 10 at a time
    const sent: Array<{ rid: string; status: number }> = [];
    for (let done = 0; done < remaining + 10; done += 10) {
      const batch = Array.from({ length: Math.min(10, remaining + 10 - done) }, async () => {
        const rid = `ms-${randomUUID()}`;
        const res = await get(`${base}/api/orders/`, { apikey: apiKey, "X-Request-ID": rid });
        return { rid, status: res.status };
      });
      sent.push(...(await Promise.all(batch)));
    }
    expect(sent.filter((s) => s.status === 200)).toHaveLength(remaining);
    expect(sent.filter((s) => s.status === 429)).toHaveLength(10);
    const gateways = await servedBy(
      "gateway",
      sent.map((s) => s.rid),
    );
    expect([...gateways.keys()].sort()).toEqual([`${project}-gateway-1`, `${project}-gateway-2`]);
  });

  it("shares one cache between the gateway replicas: a miss on one is a hit on the other", async () => {
    const path = `/api/catalog/?e2e=${randomUUID()}`;
    const first = await get(`${base}${path}`);
    expect(first.status).toBe(200);
    expect(first.headers["x-cache-status"]).toBe("Miss");
    // every later request is a hit, whichever replica Caddy sends it to (both do get some)
    const again = await burst(path, 12);
    expect(again.map((s) => `${s.status} ${s.headers["x-cache-status"]}`)).toEqual(
      again.map(() => "200 Hit"),
    );
    expect(again.map((s) => s.headers["x-cache-key"])).toEqual(again.map(() => first.headers["x-cache-key"]));
    const gateways = await servedBy(
      "gateway",
      again.map((s) => s.rid),
    );
    expect([...gateways.keys()].sort()).toEqual([`${project}-gateway-1`, `${project}-gateway-2`]);
  });

  it("keeps serving when one users container is killed, and stack up restores it", async () => {
    const victim = `${project}-users-1`;
    await docker.getContainer(victim).kill();
    // The first request may wait for the gateway's connect timeout to the dead address (2 s in the
    // generated gateway.yaml) before it is retried on the live replica.
    const during = await burst("/api/users/", 16, {}, 15_000);
    expect(during.map((s) => s.status)).toEqual(during.map(() => 200));
    const served = await servedBy(
      "users",
      during.map((s) => s.rid),
    );
    expect([...served.keys()]).toEqual([`${project}-users-2`]);

    const r = await stackOk(["up", "--dir", dir, "--json"]);
    const summary = upResult(r.stdout).summary as Record<string, number>;
    expect(summary.recreate).toBe(0);
    expect((summary.start ?? 0) + (summary.keep ?? 0)).toBe(8);
    const users = (await psRows()).filter((row) => row.service === "users");
    expect(users.map((u) => `${u.container}:${u.state}:${u.health}`)).toEqual([
      `${victim}:running:healthy`,
      `${project}-users-2:running:healthy`,
    ]);
  });

  it("stack down removes the whole project", async () => {
    await stackOk(["down", "--dir", dir]);
    expect(await projectContainers(project)).toEqual([]);
    expect(await projectNetworks(project)).toEqual([]);
  });
});

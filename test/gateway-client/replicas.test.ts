/**
 * The replica-wide halves of `stack gateway diff` and `sync` against REAL gateways on 127.0.0.1
 * random ports: DB-less replicas each given the file (POST /config) and checked by their
 * configuration_hash; database-mode replicas sharing a REAL PostgreSQL, synced once and each
 * following; the diff entity by entity with secrets never in its output; and the in-container
 * Admin API transport, its program run on this host by a local exec (no container can run here
 * in a unit test: the one stand-in, named as such).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { hashDeclarativeText } from "../../src/gateway/config/hash.js";
import { loadPluginRegistry, type PluginRegistry } from "../../src/gateway/plugins/registry.js";
import { AdminClient } from "../../src/gateway-client/admin-client.js";
import { gatewayInfo } from "../../src/gateway-client/gateway-info.js";
import type { GatewayReplica } from "../../src/gateway-client/replica.js";
import { diffReplicas } from "../../src/gateway-client/replica-diff.js";
import { syncReplicas } from "../../src/gateway-client/replica-sync.js";
import { dumpGateway } from "../../src/gateway-client/sync.js";
import { inContainerAdminTransport } from "../../src/health/probe/in-container-admin.js";
import { postgresPerFile } from "../gateway/database/_support.js";
import { localExec } from "../health/support/local-exec.js";
import { cleanupsAfterEach } from "../support/cleanups.js";
import { startTestGateway } from "../support/gateway.js";

const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);
let registry: PluginRegistry;
beforeAll(async () => {
  registry = await loadPluginRegistry();
});

const TOKEN = "replicas-admin-token";
const SECRET_OLD = "old-secret-key-1234";
const SECRET_NEW = "new-secret-key-5678";

const OLD = `_format_version: "3.0"
services:
  - name: orders
    url: http://127.0.0.1:9/orders
    routes:
      - name: orders
        paths: [/orders]
consumers:
  - username: demo
    keyauth_credentials:
      - key: ${SECRET_OLD}
  - username: leaving
`;

const NEW = `_format_version: "3.0"
services:
  - name: orders
    url: http://127.0.0.1:9/v2/orders
    routes:
      - name: orders
        paths: [/orders]
      - name: orders-admin
        paths: [/orders/admin]
consumers:
  - username: demo
    keyauth_credentials:
      - key: ${SECRET_OLD}
`;

async function dbless(text: string): Promise<GatewayReplica> {
  const gw = await startTestGateway(text, { adminToken: TOKEN });
  cleanups.push(() => gw.close());
  return { name: gw.adminUrl!, client: new AdminClient({ url: gw.adminUrl!, token: TOKEN }) };
}

const opts = (text: string) => ({ text, place: "gateway.yaml", plugins: registry.get });

describe("diffReplicas (DB-less)", () => {
  it("lists each replica's added, changed and removed entities; equal replicas are equal", async () => {
    const stale = await dbless(OLD);
    const current = await dbless(NEW);
    const diffs = await diffReplicas([stale, current], { ...opts(NEW), compareHash: true });
    const [a, b] = diffs;
    expect(a!.equal).toBe(false);
    expect(a!.diff!.added.map((e) => e.label)).toEqual(["routes orders-admin"]);
    expect(a!.diff!.changed).toEqual([
      expect.objectContaining({
        label: "services orders",
        fields: [{ field: "path", from: "/orders", to: "/v2/orders" }],
      }),
    ]);
    expect(a!.diff!.removed.map((e) => e.label)).toEqual(["consumers leaving"]);
    expect(b).toMatchObject({ equal: true, hash: { file: hashDeclarativeText(NEW) } });
    expect(b!.hash!.served).toBe(b!.hash!.file);
  });

  it("a secret the Admin API redacts: no entity differs, the hash says it does, the secret is never shown", async () => {
    const plugin = (password: string) =>
      `${NEW}plugins:\n  - name: rate-limiting\n    config:\n      minute: 10\n      policy: local\n      redis:\n        password: ${password}\n`;
    const replica = await dbless(plugin("redis-pass-old"));
    const [d] = await diffReplicas([replica], { ...opts(plugin("redis-pass-new")), compareHash: true });
    expect(d).toMatchObject({ equal: false, hidden: true });
    expect(d!.diff).toMatchObject({ added: [], changed: [], removed: [] });
    const json = JSON.stringify(d);
    expect(json).not.toContain("redis-pass-old");
    expect(json).not.toContain("redis-pass-new");
  });

  it("a credential whose key changed is replaced (its id follows the key); the key is never shown", async () => {
    const replica = await dbless(NEW);
    const [d] = await diffReplicas([replica], {
      ...opts(NEW.replace(SECRET_OLD, SECRET_NEW)),
      compareHash: true,
    });
    expect(d!.diff!.added.map((e) => e.kind)).toEqual(["keyauth_credentials"]);
    expect(d!.diff!.removed.map((e) => e.kind)).toEqual(["keyauth_credentials"]);
    const json = JSON.stringify(d);
    expect(json).not.toContain(SECRET_OLD);
    expect(json).not.toContain(SECRET_NEW);
  });

  it("an object field's change is shown by the paths of its differing members", async () => {
    const upstream = (path: string) =>
      `_format_version: "3.0"\nupstreams:\n  - name: u\n    healthchecks:\n      active:\n        http_path: ${path}\n`;
    const replica = await dbless(upstream("/old"));
    const [d] = await diffReplicas([replica], { ...opts(upstream("/new")), compareHash: true });
    expect(d!.diff!.changed).toEqual([
      expect.objectContaining({
        label: "upstreams u",
        fields: [{ field: "healthchecks.active.http_path", from: "/old", to: "/new" }],
      }),
    ]);
  });

  it("an unreachable replica is reported, the others still compared", async () => {
    const ok = await dbless(NEW);
    const gone = await startTestGateway(NEW);
    const url = gone.adminUrl!;
    await gone.close();
    const diffs = await diffReplicas([ok, { name: url, client: new AdminClient({ url, timeoutMs: 2000 }) }], {
      ...opts(NEW),
      compareHash: true,
    });
    expect(diffs[0]!.equal).toBe(true);
    expect(diffs[1]).toMatchObject({ equal: false, diff: null, error: { code: "E_GATEWAY_ADMIN" } });
  });
});

describe("syncReplicas (DB-less)", () => {
  it("POST /config to every replica, each then serving the file's hash; a diff then finds nothing", async () => {
    const replicas = [await dbless(OLD), await dbless(OLD)];
    const result = await syncReplicas(replicas, {
      ...opts(NEW),
      database: false,
      selectTag: "gatestack-managed",
    });
    expect(result.ok).toBe(true);
    expect(result.mode).toBe("dbless");
    expect(result.replicas.map((r) => [r.action, r.servedHash])).toEqual([
      ["config", hashDeclarativeText(NEW)],
      ["config", hashDeclarativeText(NEW)],
    ]);
    const diffs = await diffReplicas(replicas, { ...opts(NEW), compareHash: true });
    expect(diffs.every((d) => d.equal)).toBe(true);
  });

  it("a replica that refuses the file fails alone, with the gateway's message", async () => {
    const good = await dbless(OLD);
    const wrongToken = await dbless(OLD);
    wrongToken.client = new AdminClient({ url: wrongToken.client.base, token: "not-the-token" });
    const result = await syncReplicas([good, wrongToken], { ...opts(NEW), database: false, selectTag: "x" });
    expect(result.ok).toBe(false);
    expect(result.replicas[0]!.ok).toBe(true);
    expect(result.replicas[1]).toMatchObject({ ok: false, error: { code: "E_GATEWAY_ADMIN" } });
    expect(result.replicas[1]!.error!.message).toContain("401");
  });
});

describe("syncReplicas (database mode, two replicas on one PostgreSQL)", () => {
  it("syncs once through the first; the second follows to the same hash; the tagged diff is then empty", async () => {
    const settings = await db.freshDatabase();
    const gws = [
      await db.gateway(settings, { adminToken: TOKEN }),
      await db.gateway(settings, { adminToken: TOKEN }),
    ];
    const replicas = gws.map((g, i) => ({
      name: `gateway-${i + 1}`,
      client: new AdminClient({ url: g.adminUrl!, token: TOKEN }),
    }));
    const result = await syncReplicas(replicas, {
      ...opts(NEW),
      database: true,
      selectTag: "gatestack-managed",
    });
    expect(result.ok).toBe(true);
    expect(result.sync!.summary.create).toBeGreaterThan(0);
    expect(result.replicas.map((r) => r.action)).toEqual(["sync", "follows"]);
    expect(result.replicas[1]!.servedHash).toBe(result.replicas[0]!.servedHash);
    const diffs = await diffReplicas(replicas, {
      ...opts(NEW),
      selectTag: "gatestack-managed",
      compareHash: false,
    });
    expect(diffs.map((d) => d.equal)).toEqual([true, true]);
    const changed = await diffReplicas(replicas, {
      ...opts(OLD),
      selectTag: "gatestack-managed",
      compareHash: false,
    });
    expect(changed[1]!.diff!.added.map((e) => e.label)).toEqual(["consumers leaving"]);
    expect(changed[1]!.diff!.removed.map((e) => e.label)).toEqual(["routes orders-admin"]);
  }, 60_000);
});

describe("the in-container Admin API transport (its node program run locally)", () => {
  it("reads, writes a document past one environment chunk, and answers every request of a batch", async () => {
    const gw = await startTestGateway(OLD, { adminToken: TOKEN });
    cleanups.push(() => gw.close());
    const client = new AdminClient({
      url: gw.adminUrl!,
      token: TOKEN,
      transport: inContainerAdminTransport(localExec, "local"),
    });
    expect((await gatewayInfo(client)).database).toBe("off");
    const routes = Array.from(
      { length: 1500 },
      (_, i) => `      - name: route-${i}\n        paths: [/r/${i}/with-a-longer-path-to-fill-the-document]`,
    );
    const big = `_format_version: "3.0"\nservices:\n  - name: many\n    url: http://127.0.0.1:9\n    routes:\n${routes.join("\n")}\n`;
    expect(big.length).toBeGreaterThan(100_000);
    const result = await syncReplicas([{ name: "local", client }], {
      ...opts(big),
      database: false,
      selectTag: "x",
    });
    expect(result.replicas[0]).toMatchObject({ ok: true, servedHash: hashDeclarativeText(big) });
    const dump = await dumpGateway({ adminUrl: gw.adminUrl!, client });
    expect(dump.counts.routes).toBe(1500);
  }, 60_000);
});

/**
 * `syncGateway` / `dumpGateway` against a REAL gateway in database mode on a REAL PostgreSQL
 * (one throwaway cluster for the file, a fresh bootstrapped database per test): decK's
 * semantics — every file entity tagged and written at its deterministic id, a second sync writes
 * nothing, entities without the select tag are never touched, conflicts are found before any
 * write, a dump reads back through the gateway's own loader and syncs to no change.
 */
import { fetch } from "undici";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { isGatestackError } from "../../src/errors.js";
import { entityId } from "../../src/gateway/config/ids.js";
import { parseDeclarativeConfig } from "../../src/gateway/config/load.js";
import { loadPluginRegistry, type PluginRegistry } from "../../src/gateway/plugins/registry.js";
import { AdminClient } from "../../src/gateway-client/admin-client.js";
import { dumpYaml } from "../../src/gateway-client/dump.js";
import { readLiveState } from "../../src/gateway-client/live-state.js";
import { dumpGateway, type SyncOptions, syncGateway } from "../../src/gateway-client/sync.js";
import { postgresPerFile } from "../gateway/database/_support.js";
import { cleanupsAfterEach } from "../support/cleanups.js";
import { startTestGateway } from "../support/gateway.js";

const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);
let registry: PluginRegistry;
beforeAll(async () => {
  registry = await loadPluginRegistry();
});

const TAG = "gatestack-managed";

const FILE = `_format_version: "3.0"
services:
  - name: orders
    url: http://127.0.0.1:9/orders
    tags: [team-a]
    routes:
      - name: orders
        paths: [/orders]
        plugins:
          - name: rate-limiting
            config: { minute: 10, policy: local }
    plugins:
      - name: key-auth
  - name: users
    url: http://127.0.0.1:9/users
    routes:
      - name: users
        paths: [/users]
upstreams:
  - name: pool
    targets:
      - target: 127.0.0.1:9001
      - target: 127.0.0.1:9002
        weight: 50
consumers:
  - username: demo
    keyauth_credentials:
      - key: demo-key-1
    acls:
      - group: admins
    basicauth_credentials:
      - username: demo-basic
        password: pw-1
    jwt_secrets:
      - key: demo-issuer
        secret: jwt-secret-1
plugins:
  - name: cors
`;

/**
 * Every entity of the file: 2 services, 2 routes, 1 upstream, 2 targets, 1 consumer, its 4
 * credentials (key-auth, acl, basic-auth, jwt), 3 plugins.
 */
const FILE_ENTITIES = 15;

async function gateway(extra: { adminToken?: string } = {}) {
  const settings = await db.freshDatabase();
  const gw = await db.gateway(settings, extra);
  const admin = gw.adminUrl!;
  const headers: Record<string, string> = extra.adminToken
    ? { authorization: `Bearer ${extra.adminToken}` }
    : {};
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${admin}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text === "" ? null : (JSON.parse(text) as Record<string, unknown>) };
  };
  const names = async (path: string) =>
    ((await call("GET", path)).body!.data as Array<{ name?: string; username?: string; id: string }>)
      .map((e) => e.name ?? e.username ?? e.id)
      .sort();
  return { admin, call, names };
}

function sync(admin: string, over: Partial<SyncOptions> = {}) {
  return syncGateway({
    file: "kong.yml",
    text: FILE,
    adminUrl: admin,
    selectTag: TAG,
    dryRun: false,
    plugins: registry.get,
    ...over,
  });
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("stack gateway sync", () => {
  it("a first sync creates every entity at the loader's id, tagged; the gateway serves it", async () => {
    const { admin, call, names } = await gateway();
    const r = await sync(admin);
    expect(r.summary).toEqual({ create: FILE_ENTITIES, update: 0, delete: 0, unchanged: 0 });
    expect(r.writes).toBe(FILE_ENTITIES);
    // parents first
    const order = r.changes.map((c) => c.kind);
    expect(order.indexOf("services")).toBeLessThan(order.indexOf("routes"));
    expect(order.lastIndexOf("routes")).toBeLessThan(order.indexOf("plugins"));
    expect(order.indexOf("upstreams")).toBeLessThan(order.indexOf("targets"));

    const service = (await call("GET", "/services/orders")).body!;
    expect(service.id).toBe(entityId("services", "orders"));
    expect(service.tags).toEqual(["team-a", TAG]);
    expect(await names("/routes")).toEqual(["orders", "users"]);
    expect(await names("/plugins")).toHaveLength(3);
    const targets = (await call("GET", "/upstreams/pool/targets")).body!.data as Array<{
      target: string;
      weight: number;
    }>;
    expect(targets.map((t) => `${t.target}/${t.weight}`).sort()).toEqual([
      "127.0.0.1:9001/100",
      "127.0.0.1:9002/50",
    ]);
    const acls = (await call("GET", "/consumers/demo/acls")).body!.data as Array<{
      group: string;
      tags: string[];
    }>;
    expect(acls).toMatchObject([{ group: "admins", tags: [TAG] }]);
    const keys = (await call("GET", "/consumers/demo/key-auth")).body!.data as Array<{ tags: string[] }>;
    expect(keys).toHaveLength(1);
  }, 60_000);

  it("a second sync makes no write", async () => {
    const { admin } = await gateway();
    await sync(admin);
    const again = await sync(admin);
    expect(again.changes).toEqual([]);
    expect(again.writes).toBe(0);
    expect(again.summary.unchanged).toBe(FILE_ENTITIES);
  }, 60_000);

  it("a changed field is one update; a tagged entity removed from the file is deleted, children first", async () => {
    const { admin, call, names } = await gateway();
    await sync(admin);
    const changed = FILE.replace("weight: 50", "weight: 70").replace(
      / {2}- name: users\n {4}url: .*\n {4}routes:\n {6}- name: users\n {8}paths: \[\/users\]\n/,
      "",
    );
    expect(changed).not.toContain("users");
    const r = await sync(admin, { text: changed });
    expect(r.changes.map((c) => `${c.action} ${c.label}`)).toEqual([
      "update targets 127.0.0.1:9002",
      "delete routes users",
      "delete services users",
    ]);
    expect(r.changes[0]!.fields).toEqual(["weight"]);
    expect(await names("/services")).toEqual(["orders"]);
    expect(await names("/routes")).toEqual(["orders"]);
    const t = (await call("GET", "/upstreams/pool/targets/127.0.0.1:9002")).body!;
    expect(t.weight).toBe(70);
    expect((await sync(admin, { text: changed })).writes).toBe(0);
  }, 60_000);

  it("an untagged service created through the Admin API survives a sync", async () => {
    const { admin, call, names } = await gateway();
    await sync(admin);
    const created = await call("POST", "/services", { name: "by-hand", url: "http://127.0.0.1:9/x" });
    expect(created.status).toBe(201);
    const route = await call("POST", "/services/by-hand/routes", { name: "by-hand", paths: ["/x"] });
    expect(route.status).toBe(201);
    const r = await sync(admin, { text: FILE.replace(/ {2}- name: users[\s\S]*?paths: \[\/users\]\n/, "") });
    expect(r.changes.map((c) => c.label).sort()).toEqual(["routes users", "services users"]);
    expect(await names("/services")).toEqual(["by-hand", "orders"]);
    expect(await names("/routes")).toEqual(["by-hand", "orders"]);
  }, 60_000);

  it("a file entity named like an untagged gateway entity is an error before any write", async () => {
    const { admin, call, names } = await gateway();
    expect((await call("POST", "/services", { name: "users", url: "http://127.0.0.1:9/hand" })).status).toBe(
      201,
    );
    const err = await rejection(sync(admin));
    expect(isGatestackError(err) && err.code).toBe("E_SYNC_CONFLICT");
    expect(err.message).toContain("services users");
    expect(err.message).toContain("name=users");
    expect(await names("/services")).toEqual(["users"]);
    expect(await names("/routes")).toEqual([]);
    const hand = (await call("GET", "/services/users")).body!;
    expect(hand.path).toBe("/hand");
  }, 60_000);

  it("deleting a tagged parent an untagged entity hangs from is a conflict, nothing written", async () => {
    const { admin, call, names } = await gateway();
    await sync(admin);
    expect((await call("POST", "/services/users/routes", { name: "extra", paths: ["/extra"] })).status).toBe(
      201,
    );
    const withoutUsers = FILE.replace(/ {2}- name: users[\s\S]*?paths: \[\/users\]\n/, "");
    const err = await rejection(sync(admin, { text: withoutUsers }));
    expect(err.message).toMatch(/services users .*routes extra/);
    expect(await names("/routes")).toEqual(["extra", "orders", "users"]);
  }, 60_000);

  it("--dry-run prints the plan and writes nothing", async () => {
    const { admin, names } = await gateway();
    const r = await sync(admin, { dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.summary.create).toBe(FILE_ENTITIES);
    expect(r.writes).toBe(0);
    expect(await names("/services")).toEqual([]);
    expect(await names("/plugins")).toEqual([]);
  }, 60_000);

  it("a gateway with an admin token: refused without it, synced with it", async () => {
    const { admin, names } = await gateway({ adminToken: "s3cret-token" });
    const err = await rejection(sync(admin));
    expect(isGatestackError(err) && err.code).toBe("E_GATEWAY_ADMIN");
    expect(err.message).toContain("401");
    expect(err.message).not.toContain("s3cret");
    const wrong = await rejection(sync(admin, { adminToken: "nope" }));
    expect(wrong.message).toContain("401");
    const r = await sync(admin, { adminToken: "s3cret-token" });
    expect(r.summary.create).toBe(FILE_ENTITIES);
    expect(await names("/services")).toEqual(["orders", "users"]);
  }, 60_000);

  it("a DB-less gateway: an error saying so before any write", async () => {
    const dbless = await startTestGateway({ _format_version: "3.0" });
    cleanups.push(() => dbless.close());
    const err = await rejection(sync(dbless.adminUrl!));
    expect(isGatestackError(err) && err.code).toBe("E_GATEWAY_ADMIN");
    expect(err.message).toContain("DB-less");
    expect((err as { hint?: string }).hint).toContain("POST /config");
  }, 60_000);

  it("an invalid file is an error naming the field, nothing written", async () => {
    const { admin, names } = await gateway();
    const err = await rejection(
      sync(admin, { text: FILE.replace("url: http://127.0.0.1:9/users", "port: 99999") }),
    );
    expect(isGatestackError(err) && err.code).toBe("E_GATEWAY_CONFIG");
    expect(await names("/services")).toEqual([]);
  }, 60_000);
});

describe("stack gateway sync: edges", () => {
  it("lists are read page by page (top-level and nested `next`)", async () => {
    const { admin } = await gateway();
    await sync(admin);
    const small = await readLiveState(new AdminClient({ url: admin, pageSize: 1 }));
    const whole = await readLiveState(new AdminClient({ url: admin }));
    expect(small.get("services")!.map((s) => s.name)).toEqual(whole.get("services")!.map((s) => s.name));
    expect(small.get("services")).toHaveLength(2);
    expect(small.get("plugins")).toHaveLength(3);
    expect(small.get("targets")).toHaveLength(2);
    const tagged = await readLiveState(new AdminClient({ url: admin, pageSize: 1 }), { tag: "team-a" });
    expect(tagged.get("services")!.map((s) => s.name)).toEqual(["orders"]);
    expect(tagged.get("routes")).toEqual([]);
  }, 60_000);

  it("a unique key handed to a new id: the old tagged entity is deleted first", async () => {
    const { admin, call } = await gateway();
    await sync(admin);
    const newId = "6f1c3a52-9a4e-4c1e-8f51-0d6c1b1e9a01";
    const moved = FILE.replace("  - username: demo\n", `  - username: demo\n    id: ${newId}\n`);
    expect(moved).toContain(newId);
    const r = await sync(admin, { text: moved });
    const steps = r.changes.map((c) => `${c.action} ${c.kind}`);
    expect(steps.indexOf("delete consumers")).toBeLessThan(steps.indexOf("create consumers"));
    expect((await call("GET", "/consumers/demo")).body!.id).toBe(newId);
    expect(((await call("GET", "/consumers/demo/acls")).body!.data as unknown[]).length).toBe(1);
    expect((await sync(admin, { text: moved })).writes).toBe(0);
  }, 60_000);

  it("a credential moved to another consumer: removed from the first, created under the second", async () => {
    const { admin, call } = await gateway();
    const two = FILE.replace("plugins:\n  - name: cors\n", "  - username: other\nplugins:\n  - name: cors\n");
    await sync(admin, { text: two });
    const movedKey = two
      .replace("    keyauth_credentials:\n      - key: demo-key-1\n", "")
      .replace(
        "  - username: other\n",
        "  - username: other\n    keyauth_credentials:\n      - key: demo-key-1\n",
      );
    const r = await sync(admin, { text: movedKey });
    expect(r.changes.map((c) => `${c.action} ${c.kind}`)).toEqual(["update keyauth_credentials"]);
    expect((await call("GET", "/consumers/demo/key-auth")).body!.data).toEqual([]);
    expect((await call("GET", "/consumers/other/key-auth")).body!.data).toHaveLength(1);
    expect((await sync(admin, { text: movedKey })).writes).toBe(0);
  }, 60_000);
});

describe("stack gateway dump", () => {
  it("writes a declarative document the loader accepts; dump → sync round-trips to no write", async () => {
    const { admin, call } = await gateway();
    await sync(admin);
    expect((await call("POST", "/services", { name: "by-hand", url: "http://127.0.0.1:9/x" })).status).toBe(
      201,
    );

    const all = await dumpGateway({ adminUrl: admin });
    const text = dumpYaml(all.document);
    expect(dumpYaml((await dumpGateway({ adminUrl: admin })).document)).toBe(text);
    const doc = parseYaml(text) as Record<string, Array<Record<string, unknown>>>;
    expect(doc._format_version).toBe("3.0");
    expect(doc.services!.map((s) => s.name)).toEqual(["by-hand", "orders", "users"]);
    expect(doc.routes![0]).toMatchObject({ service: { id: entityId("services", "orders") } });
    expect(doc.services![0]).not.toHaveProperty("created_at");
    // secrets as the Admin API answers them
    const listed = (await call("GET", "/consumers/demo/key-auth")).body!.data as Array<{ key: string }>;
    expect(doc.keyauth_credentials![0]!.key).toBe(listed[0]!.key);
    expect(all.redacted).toBe(text.split("[REDACTED]").length - 1);
    const loaded = parseDeclarativeConfig(text, { plugins: registry.get, resolveVaultReferences: false });
    expect(loaded.ok).toBe(true);

    const managed = await dumpGateway({ adminUrl: admin, selectTag: TAG });
    const managedText = dumpYaml(managed.document);
    expect(managedText).not.toContain("by-hand");
    const back = await sync(admin, { text: managedText });
    expect(back.changes).toEqual([]);
    expect(back.writes).toBe(0);

    // the same document into an empty gateway reproduces the same dump — but for basic-auth
    // passwords: the dump holds the gateway's hash, which the other gateway hashes again
    const other = await gateway();
    const into = await sync(other.admin, { text: managedText });
    expect(into.summary.create).toBe(FILE_ENTITIES);
    const otherDump = await dumpGateway({ adminUrl: other.admin, selectTag: TAG });
    const withoutPasswords = (d: Record<string, unknown>) => {
      const copy = structuredClone(d) as { basicauth_credentials?: Array<{ password?: unknown }> };
      for (const c of copy.basicauth_credentials ?? []) c.password = "(hash)";
      return dumpYaml(copy as Record<string, unknown>);
    };
    expect(withoutPasswords(otherDump.document)).toBe(withoutPasswords(managed.document));
  }, 90_000);
});

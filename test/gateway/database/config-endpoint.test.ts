/**
 * `POST /config` and `GET /config` in database mode — beyond Kong, which refuses both with a
 * database: a declarative document replaces the whole stored state in one transaction (201, every
 * replica serves it; or 400 and nothing changed), vault references stored as written, and GET
 * /config gives the stored state, Admin-API writes included, as a declarative document with the
 * secrets redacted.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FormData, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { Gateway } from "../../../src/gateway/server.js";
import { ENTITIES_TABLE, STATE_TABLE } from "../../../src/gateway/store/postgres/schema.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { type EchoUpstream, startEchoUpstream, until } from "../../support/gateway.js";
import { postgresPerFile } from "./_support.js";

const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);

let upstream: EchoUpstream;
beforeAll(async () => {
  upstream = await startEchoUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

const API_KEY = "key-from-the-environment-1234";

function document(routePath = "/orders") {
  return {
    _format_version: "3.0",
    services: [
      {
        name: "orders",
        url: upstream.url,
        routes: [{ name: "orders", paths: [routePath] }],
        plugins: [{ name: "key-auth" }],
      },
    ],
    consumers: [
      {
        username: "shop",
        keyauth_credentials: [{ key: "{vault://env/SHOP_KEY}" }],
        basicauth_credentials: [{ username: "shop", password: "basic-password-1" }],
      },
    ],
  };
}

async function json(gw: Gateway, method: string, path: string, body?: unknown) {
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    ...(body !== undefined
      ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
      : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

const gatewayEnv = { env: { SHOP_KEY: API_KEY } };

describe("POST /config in database mode", () => {
  it("replaces the stored state; every replica serves it; the Admin API lists it with timestamps", async () => {
    const settings = await db.freshDatabase();
    const a = await db.gateway(settings, gatewayEnv);
    const b = await db.gateway(settings, gatewayEnv);
    // something created through the Admin API first: POST /config replaces the whole state
    expect((await json(a, "POST", "/services", { name: "old", url: upstream.url })).status).toBe(201);

    const posted = await json(a, "POST", "/config", document());
    expect(posted.status).toBe(201);
    expect(Object.keys(posted.body.services)).toHaveLength(1);

    const services = await json(a, "GET", "/services");
    expect(services.body.data.map((s: { name: string }) => s.name)).toEqual(["orders"]);
    expect(services.body.data[0].created_at).toEqual(expect.any(Number));
    expect((await json(a, "GET", "/services/old")).status).toBe(404);

    for (const gw of [a, b]) {
      await until(
        async () => (await fetch(`${gw.proxyUrl}/orders`, { headers: { apikey: API_KEY } })).status === 200,
      );
      expect((await fetch(`${gw.proxyUrl}/orders`)).status).toBe(401);
    }
    // stored as written: the vault reference, not the value it resolves to
    const stored = await db
      .pg()
      .sql(
        `SELECT data->>'key' FROM ${ENTITIES_TABLE} WHERE kind = 'keyauth_credentials'`,
        settings.database,
      );
    expect(stored.trim()).toBe("{vault://env/SHOP_KEY}");
  });

  it("the multipart form of the user guide (curl -F config=@kong.yml) and a JSON { config: text } body", async () => {
    const settings = await db.freshDatabase();
    const gw = await db.gateway(settings, gatewayEnv);
    const form = new FormData();
    form.set("config", new Blob([JSON.stringify(document("/multipart"))]), "kong.yml");
    expect((await fetch(`${gw.adminUrl}/config`, { method: "POST", body: form })).status).toBe(201);
    expect((await fetch(`${gw.proxyUrl}/multipart`, { headers: { apikey: API_KEY } })).status).toBe(200);

    const text = JSON.stringify(document("/as-text"));
    expect((await json(gw, "POST", "/config", { config: text })).status).toBe(201);
    expect((await json(gw, "GET", "/routes/orders")).body.paths).toEqual(["/as-text"]);
  });

  it("an invalid document: 400 with Kong's flattened errors, nothing stored, nothing changed", async () => {
    const settings = await db.freshDatabase();
    const gw = await db.gateway(settings, gatewayEnv);
    expect((await json(gw, "POST", "/config", document())).status).toBe(201);
    const versionBefore = await db.pg().sql(`SELECT version FROM ${STATE_TABLE}`, settings.database);
    const rowsBefore = await db.pg().sql(`SELECT count(*) FROM ${ENTITIES_TABLE}`, settings.database);

    const bad = document("/elsewhere");
    bad.services[0]!.plugins = [{ name: "key-auth" }, { name: "rate-limiting" }]; // no limit given
    const refused = await json(gw, "POST", "/config", bad);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 14, name: "invalid declarative configuration" });
    expect(JSON.stringify(refused.body.flattened_errors ?? refused.body.fields)).toContain(
      "at least one of these fields must be non-empty",
    );

    expect(await db.pg().sql(`SELECT version FROM ${STATE_TABLE}`, settings.database)).toBe(versionBefore);
    expect(await db.pg().sql(`SELECT count(*) FROM ${ENTITIES_TABLE}`, settings.database)).toBe(rowsBefore);
    expect((await fetch(`${gw.proxyUrl}/orders`, { headers: { apikey: API_KEY } })).status).toBe(200);
    expect((await fetch(`${gw.proxyUrl}/elsewhere`, { headers: { apikey: API_KEY } })).status).toBe(404);
  });

  it("a document whose vault reference cannot be resolved is refused before anything is stored", async () => {
    const settings = await db.freshDatabase();
    const gw = await db.gateway(settings, { env: {} });
    const refused = await json(gw, "POST", "/config", document());
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain("SHOP_KEY");
    expect((await db.pg().sql(`SELECT count(*) FROM ${ENTITIES_TABLE}`, settings.database)).trim()).toBe("0");
  });
});

describe("reload (SIGHUP) in database mode", () => {
  it("serves what the database holds; a configuration file never replaces it", async () => {
    const settings = await db.freshDatabase();
    const dir = mkdtempSync(join(tmpdir(), "db-reload-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "gateway.yaml");
    writeFileSync(file, JSON.stringify(document("/from-the-file")));
    const gw = await db.gateway(settings, { ...gatewayEnv, config: file });
    expect((await json(gw, "POST", "/services", { name: "admin-made", url: upstream.url })).status).toBe(201);
    await gw.reload();
    expect((await json(gw, "GET", "/services")).body.data.map((s: { name: string }) => s.name)).toEqual([
      "admin-made",
    ]);
    expect((await fetch(`${gw.proxyUrl}/from-the-file`)).status).toBe(404);
  });
});

describe("GET /config in database mode", () => {
  it("the stored state, Admin-API writes included, as a declarative document with secrets redacted", async () => {
    const settings = await db.freshDatabase();
    const gw = await db.gateway(settings, gatewayEnv);
    expect((await json(gw, "POST", "/config", document())).status).toBe(201);
    expect(
      (await json(gw, "POST", "/services/orders/routes", { name: "admin-made", paths: ["/made"] })).status,
    ).toBe(201);
    expect(
      (await json(gw, "POST", "/consumers/shop/jwt", { key: "iss-1", secret: "jwt-secret-1" })).status,
    ).toBe(201);

    const got = await json(gw, "GET", "/config");
    expect(got.status).toBe(200);
    const doc = parseYaml(got.body.config as string) as Record<string, Record<string, unknown>[]>;
    expect(doc._format_version).toBe("3.0");
    expect(doc.routes!.map((r) => r.name).sort()).toEqual(["admin-made", "orders"]);
    expect(doc.services!.map((s) => s.name)).toEqual(["orders"]);
    expect(doc.keyauth_credentials![0]!.key).toBe("{vault://env/SHOP_KEY}"); // a pointer, shown as written
    expect(doc.jwt_secrets![0]).toMatchObject({ key: "iss-1", secret: "[REDACTED]" });
    expect(doc.basicauth_credentials![0]!.password).toBe("[REDACTED]");
    for (const secret of ["jwt-secret-1", "basic-password-1", API_KEY])
      expect(got.body.config).not.toContain(secret);
  });
});

describe("basic-auth in database mode", () => {
  it("the password authenticates; the salted hash the Admin API shows does not", async () => {
    const settings = await db.freshDatabase();
    const gw = await db.gateway(settings, gatewayEnv);
    expect((await json(gw, "POST", "/services", { name: "s", url: upstream.url })).status).toBe(201);
    expect((await json(gw, "POST", "/services/s/routes", { name: "r", paths: ["/basic"] })).status).toBe(201);
    expect((await json(gw, "POST", "/services/s/plugins", { name: "basic-auth" })).status).toBe(201);
    expect((await json(gw, "POST", "/consumers", { username: "ann" })).status).toBe(201);
    const cred = await json(gw, "POST", "/consumers/ann/basic-auth", {
      username: "ann",
      password: "open-sesame",
    });
    expect(cred.status).toBe(201);
    const shown = cred.body.password as string;
    expect(shown).toMatch(/^[0-9a-f]{40}$/);
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
    });
    expect((await fetch(`${gw.proxyUrl}/basic`, { headers: basic("ann", "open-sesame") })).status).toBe(200);
    expect((await fetch(`${gw.proxyUrl}/basic`, { headers: basic("ann", shown) })).status).toBe(401);
    expect((await fetch(`${gw.proxyUrl}/basic`, { headers: basic("ann", "wrong") })).status).toBe(401);
  });
});

/**
 * oauth2 tokens whose row ttl ran out are deleted in the background in database mode, as Kong's
 * database does every minute (here every 200 ms), on a real PostgreSQL shared by two gateways; and
 * the Admin API's `ttl` on POST /oauth2_tokens, in the body or as `?ttl=` (Kong's extract_options).
 * Authorization codes live Kong's fixed 300 s: their case moves the gateways' clock (Date.now, in
 * this process) past it rather than waiting.
 */
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import type { Cleanups } from "../../support/cleanups.js";
import { type EchoUpstream, startEchoUpstream } from "../../support/gateway.js";
import { AdminClient, type Json } from "../database/_admin.js";
import { postgresPerFile } from "../database/_support.js";

const pending: Array<() => unknown> = [];
const cleanups: Cleanups = { push: (...c) => void pending.push(...c) };
const fx = postgresPerFile(cleanups);
let a: Gateway;
let b: Gateway;
let up: EchoUpstream;
let credential: Json;
let settings: Awaited<ReturnType<typeof fx.freshDatabase>>;

beforeAll(async () => {
  settings = await fx.freshDatabase();
  const database = { postgres: settings, ttlSweepMs: 200 };
  a = await fx.gateway(settings, { trustedIps: ["127.0.0.1"], database });
  b = await fx.gateway(settings, { trustedIps: ["127.0.0.1"], database });
  up = await startEchoUpstream();
  const admin = new AdminClient(a.adminUrl!);
  const service = await admin.create("/services", { name: "orders", url: up.url });
  await admin.create(`/services/${service.id}/routes`, { paths: ["/orders"] });
  await admin.create(`/services/${service.id}/plugins`, {
    name: "oauth2",
    // tokens written through the Admin API name no service: global ones
    config: {
      enable_client_credentials: true,
      accept_http_if_already_terminated: true,
      global_credentials: true,
    },
  });
  const consumer = await admin.create("/consumers", { username: "partner" });
  credential = await admin.create(`/consumers/${consumer.id}/oauth2`, { name: "app", client_secret: "s" });
}, 60_000);
afterAll(async () => {
  await up?.close();
  while (pending.length > 0) await pending.pop()!();
});

async function listed(gw: Gateway): Promise<string[]> {
  const r = await new AdminClient(gw.adminUrl!).get("/oauth2_tokens");
  return (r.body.data as Json[]).map((t) => t.access_token as string).sort();
}

async function until(check: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const token = (access_token: string) => ({
  credential: { id: credential.id },
  access_token,
  expires_in: 0,
});

describe("oauth2 token expiry in database mode", () => {
  it("POST /oauth2_tokens takes ttl from the body or the query string; a bad one is a schema violation", async () => {
    const admin = new AdminClient(a.adminUrl!);
    const inBody = await admin.post("/oauth2_tokens", { ...token("ttl-body"), ttl: 3600 });
    expect([inBody.status, inBody.body.ttl]).toEqual([201, 3600]);
    const inQuery = await admin.post("/oauth2_tokens?ttl=1800", token("ttl-query"));
    expect([inQuery.status, inQuery.body.ttl]).toEqual([201, 1800]);
    // the body's wins over the query's
    const both = await admin.post("/oauth2_tokens?ttl=5", { ...token("ttl-both"), ttl: 7 });
    expect(both.body.ttl).toBe(7);
    const bad = await admin.post("/oauth2_tokens?ttl=soon", token("ttl-bad"));
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toMatchObject({ ttl: expect.any(String) });
    for (const t of ["ttl-body", "ttl-query", "ttl-both"])
      expect((await admin.delete(`/oauth2_tokens/${t}`)).status).toBe(204);
  });

  it("a token whose ttl (2 s) ran out is deleted on every replica without another write; others stay", async () => {
    const admin = new AdminClient(a.adminUrl!);
    expect((await admin.post("/oauth2_tokens?ttl=2", token("short-a"))).status).toBe(201);
    expect((await admin.post("/oauth2_tokens", { ...token("short-b"), ttl: 2 })).status).toBe(201);
    expect((await admin.post("/oauth2_tokens", token("kept"))).status).toBe(201);
    expect((await admin.post("/oauth2_tokens", { ...token("long"), ttl: 3600 })).status).toBe(201);
    await until(async () => (await listed(b)).length === 4);
    const builds = { a: a.runtime.generations!.built, b: b.runtime.generations!.built };
    const ok = await fetch(`${b.proxyUrl}/orders/x`, {
      headers: { authorization: "Bearer short-a", "x-forwarded-proto": "https" },
    });
    expect(ok.status).toBe(200);

    await until(async () => (await listed(a)).length === 2 && (await listed(b)).length === 2);
    expect(await listed(a)).toEqual(["kept", "long"]);
    expect(await listed(b)).toEqual(["kept", "long"]);
    const gone = await fetch(`${b.proxyUrl}/orders/x`, {
      headers: { authorization: "Bearer short-a", "x-forwarded-proto": "https" },
    });
    expect(gone.status).toBe(401);
    // the rows are gone from the database, not only hidden: a gateway started now loads none of them
    const fresh = await fx.gateway(settings, {});
    expect(await listed(fresh)).toEqual(["kept", "long"]);
    // deleting them was no configuration change
    expect(a.runtime.generations!.built).toBe(builds.a);
    expect(b.runtime.generations!.built).toBe(builds.b);
  }, 30_000);

  it("an authorization code past its 300 s is swept on every replica: the exchange then fails, the row is gone", async () => {
    const admin = new AdminClient(a.adminUrl!);
    const service = await admin.create("/services", { name: "portal", url: up.url });
    await admin.create(`/services/${service.id}/routes`, { paths: ["/portal"] });
    const plugin = await admin.create(`/services/${service.id}/plugins`, {
      name: "oauth2",
      config: { enable_authorization_code: true, accept_http_if_already_terminated: true },
    });
    const consumer = await admin.create("/consumers", { username: "webapp" });
    const app = await admin.create(`/consumers/${consumer.id}/oauth2`, {
      name: "web",
      client_secret: "web-secret",
      redirect_uris: ["https://webapp.example.com/cb"],
    });
    const https = { "x-forwarded-proto": "https", "content-type": "application/x-www-form-urlencoded" };
    const authorize = async () => {
      const r = await fetch(`${a.proxyUrl}/portal/oauth2/authorize`, {
        method: "POST",
        headers: https,
        body: new URLSearchParams({
          provision_key: (plugin.config as Json).provision_key as string,
          client_id: app.client_id as string,
          response_type: "code",
          authenticated_userid: "user-1",
        }).toString(),
      });
      expect(r.status).toBe(200);
      return new URL(((await r.json()) as Json).redirect_uri as string).searchParams.get("code")!;
    };
    const codesOn = (gw: Gateway) => gw.runtime.current!.config.oauth2_authorization_codes.map((c) => c.code);
    const expiring = await authorize();
    await until(async () => codesOn(b).includes(expiring));
    const builds = { a: a.runtime.generations!.built, b: b.runtime.generations!.built };
    const realNow = Date.now.bind(Date);
    // 301 s later, for this process's gateways (their timers still run on real time)
    const clock = vi.spyOn(Date, "now").mockImplementation(() => realNow() + 301_000);
    try {
      await until(async () => codesOn(a).length === 0 && codesOn(b).length === 0);
      const fresh = await authorize(); // a code made now lives its own 300 s
      const exchange = (code: string) =>
        fetch(`${b.proxyUrl}/portal/oauth2/token`, {
          method: "POST",
          headers: https,
          body: new URLSearchParams({
            grant_type: "authorization_code",
            client_id: app.client_id as string,
            client_secret: "web-secret",
            code,
          }).toString(),
        });
      await until(async () => codesOn(b).includes(fresh));
      const stale = await exchange(expiring);
      expect(stale.status).toBe(400);
      expect(((await stale.json()) as Json).error).toBe("invalid_request");
      const ok = await exchange(fresh);
      expect(ok.status).toBe(200);
      expect(typeof ((await ok.json()) as Json).access_token).toBe("string");
    } finally {
      clock.mockRestore();
    }
    // the row is gone from the database: a gateway started now loads no code at all (the fresh one was used)
    const started = await fx.gateway(settings, {});
    expect(started.runtime.current!.config.oauth2_authorization_codes).toEqual([]);
    // sweeping codes was no configuration change
    expect(a.runtime.generations!.built).toBe(builds.a);
    expect(b.runtime.generations!.built).toBe(builds.b);
  }, 30_000);
});

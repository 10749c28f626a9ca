/**
 * oauth2 tokens across gateway replicas in database mode: two gateways on one real PostgreSQL
 * (a throwaway cluster), a token issued on one accepted on the other, and issuing tokens does not
 * rebuild either replica's router and plugins (Generations.built counts snapshot builds).
 */
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

const HTTPS = { "x-forwarded-proto": "https" };

beforeAll(async () => {
  const settings = await fx.freshDatabase();
  a = await fx.gateway(settings, { trustedIps: ["127.0.0.1"] });
  b = await fx.gateway(settings, { trustedIps: ["127.0.0.1"] });
  up = await startEchoUpstream();
  const admin = new AdminClient(a.adminUrl!);
  const service = await admin.create("/services", { name: "orders", url: up.url });
  await admin.create(`/services/${service.id}/routes`, { paths: ["/orders"] });
  await admin.create(`/services/${service.id}/plugins`, {
    name: "oauth2",
    config: {
      enable_client_credentials: true,
      enable_password_grant: true,
      accept_http_if_already_terminated: true,
      provision_key: "pk",
    },
  });
  const consumer = await admin.create("/consumers", { username: "partner" });
  await admin.create(`/consumers/${consumer.id}/oauth2`, {
    name: "app",
    client_id: "cid",
    client_secret: "csecret",
    redirect_uris: ["https://partner.example.com/cb"],
  });
  await until(async () => (await proxy(b, "/orders/x", {})).status === 401);
}, 60_000);
afterAll(async () => {
  await up?.close();
  while (pending.length > 0) await pending.pop()!();
});

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

function proxy(gw: Gateway, path: string, headers: Record<string, string>, form?: Record<string, string>) {
  return fetch(`${gw.proxyUrl}${path}`, {
    method: form ? "POST" : "GET",
    headers: {
      ...HTTPS,
      ...headers,
      ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
    },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
}

async function issue(gw: Gateway, grant: Record<string, string> = {}): Promise<Json> {
  const r = await proxy(
    gw,
    "/orders/oauth2/token",
    {},
    {
      grant_type: "client_credentials",
      client_id: "cid",
      client_secret: "csecret",
      ...grant,
    },
  );
  const body = (await r.json()) as Json;
  expect(r.status, JSON.stringify(body)).toBe(200);
  return body;
}

const bearer = (token: unknown) => ({ authorization: `Bearer ${String(token)}` });
const built = (gw: Gateway) => gw.runtime.generations!.built;

describe("oauth2 tokens on two replicas", () => {
  it("a token issued on one replica is accepted on the other; refreshed there; revoked everywhere", async () => {
    const t = await issue(a);
    expect((await proxy(a, "/orders/x", bearer(t.access_token))).status).toBe(200);
    await until(async () => (await proxy(b, "/orders/x", bearer(t.access_token))).status === 200);

    const p = await issue(b, {
      grant_type: "password",
      provision_key: "pk",
      authenticated_userid: "u1",
      username: "u",
      password: "p",
    });
    await until(async () => (await proxy(a, "/orders/x", bearer(p.access_token))).status === 200);
    const refreshed = await issue(a, { grant_type: "refresh_token", refresh_token: String(p.refresh_token) });
    expect(refreshed.access_token).not.toBe(p.access_token);
    await until(async () => (await proxy(b, "/orders/x", bearer(p.access_token))).status === 401);
    await until(async () => (await proxy(b, "/orders/x", bearer(refreshed.access_token))).status === 200);

    // the Admin API of either replica lists them, and a delete on one revokes on the other
    const listed = await new AdminClient(b.adminUrl!).get("/oauth2_tokens");
    expect((listed.body.data as Json[]).length).toBeGreaterThanOrEqual(2);
    expect(
      (await new AdminClient(b.adminUrl!).delete(`/oauth2_tokens/${String(t.access_token)}`)).status,
    ).toBe(204);
    await until(async () => (await proxy(a, "/orders/x", bearer(t.access_token))).status === 401);
  }, 60_000);

  it("issuing 50 tokens builds no new router/plugin generation on either replica", async () => {
    const before = { a: built(a), b: built(b) };
    const started = performance.now();
    const tokens: unknown[] = [];
    for (let i = 0; i < 50; i++) tokens.push((await issue(i % 2 === 0 ? a : b)).access_token);
    const ms = performance.now() - started;
    const last = tokens.at(-1);
    await until(async () => (await proxy(a, "/orders/x", bearer(last))).status === 200);
    await until(async () => (await proxy(b, "/orders/x", bearer(tokens.at(-2)))).status === 200);
    console.log(
      `50 tokens in ${ms.toFixed(0)} ms; generations built a +${built(a) - before.a}, b +${built(b) - before.b}`,
    );
    expect(built(a) - before.a).toBe(0);
    expect(built(b) - before.b).toBe(0);
    // a configuration change still builds one
    const admin = new AdminClient(a.adminUrl!);
    await admin.create("/services", { name: "other", url: up.url });
    await until(async () => built(b) > before.b);
    expect(built(a)).toBe(before.a + 1);
  }, 60_000);
});

/**
 * oauth2 in database mode, through real HTTP: a gateway on a real PostgreSQL (one throwaway
 * cluster for the file), a real upstream on 127.0.0.1, everything configured through the Admin
 * API. Cases re-expressed from Kong's spec/03-plugins/25-oauth2/ (03-access_spec.lua: the
 * authorize and token endpoints, each grant, PKCE, refresh tokens, the proxied requests and their
 * upstream headers, anonymous and acl; 01-schema_spec.lua: the flows check; 02-api_spec.lua:
 * credentials and tokens on the Admin API). HTTPS is the terminated kind: the gateway trusts
 * 127.0.0.1 and `accept_http_if_already_terminated` reads `X-Forwarded-Proto: https`.
 */
import { createHash, randomBytes } from "node:crypto";
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyClientSecret } from "../../../src/gateway/plugins/oauth2/secret.js";
import type { Gateway } from "../../../src/gateway/server.js";
import type { Cleanups } from "../../support/cleanups.js";
import { type EchoUpstream, startEchoUpstream } from "../../support/gateway.js";
import { AdminClient, type Json, unique } from "../database/_admin.js";
import { postgresPerFile } from "../database/_support.js";

const pending: Array<() => unknown> = [];
const cleanups: Cleanups = { push: (...c) => void pending.push(...c) };
const fx = postgresPerFile(cleanups);
let gw: Gateway;
let up: EchoUpstream;
let admin: AdminClient;

beforeAll(async () => {
  gw = await fx.gateway(await fx.freshDatabase(), { trustedIps: ["127.0.0.1"] });
  up = await startEchoUpstream();
  admin = new AdminClient(gw.adminUrl!);
}, 60_000);
afterAll(async () => {
  await up?.close();
  while (pending.length > 0) await pending.pop()!();
});

const HTTPS = { "x-forwarded-proto": "https" };

interface Reply {
  status: number;
  body: Json;
  headers: Headers;
}

async function send(
  method: string,
  path: string,
  opts: { form?: Record<string, string>; json?: object; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    headers["content-type"] = "application/x-www-form-urlencoded";
  } else if (opts.json) {
    body = JSON.stringify(opts.json);
    headers["content-type"] = "application/json";
  }
  const r = await fetch(`${gw.proxyUrl}${path}`, { method, headers, body });
  const text = await r.text();
  return {
    status: r.status,
    body: text === "" ? {} : (JSON.parse(text) as Json),
    headers: r.headers as Headers,
  };
}

interface Api {
  path: string;
  service: Json;
  plugin: Json;
  provisionKey: string;
}

/** A service, a route on `/<name>` and the oauth2 plugin on it. */
async function api(config: Record<string, unknown>, extraPlugins: Json[] = []): Promise<Api> {
  const name = unique("oauth");
  const service = await admin.create("/services", { name, url: up.url });
  await admin.create(`/services/${service.id}/routes`, { paths: [`/${name}`] });
  const plugin = await admin.create(`/services/${service.id}/plugins`, {
    name: "oauth2",
    config: { accept_http_if_already_terminated: true, ...config },
  });
  for (const p of extraPlugins) await admin.create(`/services/${service.id}/plugins`, p);
  return { path: `/${name}`, service, plugin, provisionKey: (plugin.config as Json).provision_key as string };
}

interface App {
  consumer: Json;
  credential: Json;
  clientId: string;
  clientSecret: string;
}

async function app(extra: Record<string, unknown> = {}, username = unique("bob")): Promise<App> {
  const consumer = await admin.create("/consumers", { username, custom_id: `c-${username}` });
  const secret = unique("secret");
  const credential = await admin.create(`/consumers/${consumer.id}/oauth2`, {
    name: "testapp",
    client_secret: secret,
    redirect_uris: ["http://google.com/kong"],
    ...extra,
  });
  return { consumer, credential, clientId: credential.client_id as string, clientSecret: secret };
}

function query(uri: string): URLSearchParams {
  return new URL(uri).searchParams;
}

async function authorizeCode(a: Api, c: App, extra: Record<string, string> = {}): Promise<string> {
  const r = await send("POST", `${a.path}/oauth2/authorize`, {
    headers: HTTPS,
    form: {
      provision_key: a.provisionKey,
      client_id: c.clientId,
      response_type: "code",
      authenticated_userid: "userid123",
      ...extra,
    },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return query(r.body.redirect_uri as string).get("code")!;
}

describe("oauth2 plugin schema", () => {
  it("needs at least one flow; mandatory_scope needs scopes; a provision_key is generated", async () => {
    const s = await admin.create("/services", { name: unique("schema"), url: up.url });
    let r = await admin.post(`/services/${s.id}/plugins`, { name: "oauth2" });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.fields)).toContain(
      "at least one of these fields must be true: enable_authorization_code, enable_implicit_grant, enable_client_credentials, enable_password_grant",
    );
    r = await admin.post(`/services/${s.id}/plugins`, {
      name: "oauth2",
      config: { enable_password_grant: true, mandatory_scope: true },
    });
    expect(r.status).toBe(400);
    expect(r.body.fields).toMatchObject({ config: { scopes: "required field missing" } });
    r = await admin.post(`/services/${s.id}/plugins`, {
      name: "oauth2",
      config: { enable_password_grant: true },
    });
    expect(r.status).toBe(201);
    expect((r.body.config as Json).provision_key).toMatch(/^[0-9a-f]{32}$/);
    expect(r.body.config).toMatchObject({ token_expiration: 7200, pkce: "lax", refresh_token_ttl: 1209600 });
  });
});

describe("oauth2 credentials on the Admin API", () => {
  it("creates under /consumers/{c}/oauth2 (client_id and secret generated), lists /oauth2, finds by client_id", async () => {
    const consumer = await admin.create("/consumers", { username: unique("dev") });
    const r = await admin.post(`/consumers/${consumer.id}/oauth2`, {
      name: "my app",
      redirect_uris: ["https://example.org/cb"],
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: "my app",
      client_type: "confidential",
      hash_secret: false,
      consumer: { id: consumer.id },
      redirect_uris: ["https://example.org/cb"],
    });
    expect(r.body.client_id).toMatch(/^[0-9a-f]{32}$/);
    expect(r.body.client_secret).toMatch(/^[0-9a-f]{32}$/);
    const byId = await admin.get(`/oauth2/${r.body.client_id as string}`);
    expect([byId.status, byId.body.id]).toEqual([200, r.body.id]);
    const list = (await admin.get(`/consumers/${consumer.id}/oauth2`)).body.data as Json[];
    expect(list.map((x) => x.id)).toEqual([r.body.id]);
    expect(((await admin.get("/oauth2")).body.data as Json[]).map((x) => x.id)).toContain(r.body.id);
    const owner = await admin.get(`/oauth2/${r.body.client_id as string}/consumer`);
    expect(owner.body.id).toBe(consumer.id);
  });

  it("refuses a bad redirect URI, a bad client_type, and a taken client_id (409)", async () => {
    const consumer = await admin.create("/consumers", { username: unique("dev") });
    let r = await admin.post(`/consumers/${consumer.id}/oauth2`, { name: "a", redirect_uris: ["not-a-url"] });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.fields)).toContain("cannot parse 'not-a-url'");
    r = await admin.post(`/consumers/${consumer.id}/oauth2`, {
      name: "a",
      redirect_uris: ["http://x.org/#frag"],
    });
    expect(JSON.stringify(r.body.fields)).toContain("fragment not allowed in 'http://x.org/#frag'");
    r = await admin.post(`/consumers/${consumer.id}/oauth2`, { name: "a", client_type: "other" });
    expect(r.body.fields).toEqual({ client_type: "expected one of: confidential, public" });
    const clientId = unique("client");
    await admin.create(`/consumers/${consumer.id}/oauth2`, { name: "a", client_id: clientId });
    r = await admin.post(`/consumers/${consumer.id}/oauth2`, { name: "b", client_id: clientId });
    expect(r.status).toBe(409);
  });

  it("hash_secret stores Kong's PBKDF2 hash of the secret, which still authenticates", async () => {
    const a = await api({ enable_client_credentials: true });
    const c = await app({ hash_secret: true });
    const stored = c.credential.client_secret as string;
    expect(stored).toMatch(/^\$pbkdf2-sha512\$i=10000,l=32\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(verifyClientSecret(c.clientSecret, stored)).toBe(true);
    const r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: { client_id: c.clientId, client_secret: c.clientSecret, grant_type: "client_credentials" },
    });
    expect(r.status).toBe(200);
    const bad = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: { client_id: c.clientId, client_secret: "wrong", grant_type: "client_credentials" },
    });
    expect([bad.status, bad.body]).toEqual([
      400,
      { error: "invalid_client", error_description: "Invalid client authentication" },
    ]);
  });
});

describe("/oauth2/authorize", () => {
  it("answers only POST, over HTTPS, with Kong's errors in order", async () => {
    const a = await api({ enable_authorization_code: true, scopes: ["email", "profile"] });
    const c = await app();
    let r = await send("GET", `${a.path}/oauth2/authorize`, { headers: HTTPS });
    expect([r.status, r.body]).toEqual([
      405,
      {
        error: "invalid_method",
        error_description: "The HTTP method GET is invalid for the authorization endpoint",
      },
    ]);
    expect(r.headers.get("www-authenticate")).toBe(
      'Bearer error="invalid_method", error_description="The HTTP method GET is invalid for the authorization endpoint"',
    );
    r = await send("POST", `${a.path}/oauth2/authorize`, { form: {} });
    expect([r.status, r.body]).toEqual([
      400,
      { error: "access_denied", error_description: "You must use HTTPS" },
    ]);
    r = await send("POST", `${a.path}/oauth2/authorize`, { headers: HTTPS, form: { provision_key: "x" } });
    expect(r.body).toEqual({ error: "invalid_provision_key", error_description: "Invalid provision_key" });
    r = await send("POST", `${a.path}/oauth2/authorize`, {
      headers: HTTPS,
      form: { provision_key: a.provisionKey },
    });
    expect(r.body).toEqual({
      error: "invalid_authenticated_userid",
      error_description: "Missing authenticated_userid parameter",
    });
    r = await send("POST", `${a.path}/oauth2/authorize`, {
      headers: HTTPS,
      form: {
        provision_key: a.provisionKey,
        authenticated_userid: "u",
        client_id: "nope",
        response_type: "code",
      },
    });
    expect([r.status, r.body]).toEqual([
      400,
      { error: "invalid_client", error_description: "Invalid client authentication" },
    ]);
    r = await send("POST", `${a.path}/oauth2/authorize`, {
      headers: HTTPS,
      form: { provision_key: a.provisionKey, authenticated_userid: "u", client_id: c.clientId, state: "s1" },
    });
    expect([r.status, r.body]).toEqual([
      400,
      {
        redirect_uri:
          "http://google.com/kong?error=unsupported_response_type&error_description=Invalid%20response_type&state=s1",
      },
    ]);
    r = await send("POST", `${a.path}/oauth2/authorize`, {
      headers: HTTPS,
      form: {
        provision_key: a.provisionKey,
        authenticated_userid: "u",
        client_id: c.clientId,
        response_type: "code",
        scope: "email wot",
      },
    });
    expect(query(r.body.redirect_uri as string).get("error_description")).toBe('"wot" is an invalid scope');
    r = await send("POST", `${a.path}/oauth2/authorize`, {
      headers: HTTPS,
      form: {
        provision_key: a.provisionKey,
        authenticated_userid: "u",
        client_id: c.clientId,
        response_type: "code",
        redirect_uri: "http://evil.com",
      },
    });
    expect(r.status).toBe(400);
    expect(query(r.body.redirect_uri as string).get("error_description")).toBe(
      "Invalid redirect_uri that does not match with any redirect_uri created with the application",
    );
  });

  it("issues a code in the redirect's query (state kept, no-store), in a JSON body too", async () => {
    const a = await api({ enable_authorization_code: true, scopes: ["email"] });
    const c = await app();
    const r = await send("POST", `${a.path}/oauth2/authorize`, {
      headers: HTTPS,
      json: {
        provision_key: a.provisionKey,
        client_id: c.clientId,
        response_type: "code",
        authenticated_userid: "u1",
        scope: "email",
        state: "hello",
      },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.headers.get("pragma")).toBe("no-cache");
    expect(r.body.redirect_uri).toMatch(/^http:\/\/google\.com\/kong\?code=[0-9a-f]{32}&state=hello$/);
  });

  it("implicit grant: a token in the redirect's fragment, without refresh token", async () => {
    const a = await api({ enable_implicit_grant: true });
    const c = await app();
    const r = await send("POST", `${a.path}/oauth2/authorize`, {
      headers: HTTPS,
      form: {
        provision_key: a.provisionKey,
        client_id: c.clientId,
        response_type: "token",
        authenticated_userid: "u",
      },
    });
    expect(r.status).toBe(200);
    const fragment = new URLSearchParams((r.body.redirect_uri as string).split("#")[1]);
    expect(fragment.get("token_type")).toBe("bearer");
    expect(fragment.get("expires_in")).toBe("7200");
    expect(fragment.has("refresh_token")).toBe(false);
    const proxied = await send("GET", a.path, {
      headers: { authorization: `bearer ${fragment.get("access_token")}` },
    });
    expect(proxied.status).toBe(200);
  });
});

describe("/oauth2/token", () => {
  it("client credentials: a token (no refresh token); the token authenticates proxied requests", async () => {
    const a = await api({ enable_client_credentials: true, scopes: ["email"] });
    const c = await app();
    let r = await send("GET", `${a.path}/oauth2/token`, { headers: HTTPS });
    expect(r.status).toBe(405);
    expect(r.body.error_description).toBe("The HTTP method GET is invalid for the token endpoint");
    r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: {
        client_id: c.clientId,
        client_secret: c.clientSecret,
        grant_type: "client_credentials",
        scope: "email",
      },
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(["access_token", "expires_in", "token_type"]);
    expect(r.body).toMatchObject({ token_type: "bearer", expires_in: 7200 });
    const token = r.body.access_token as string;
    const proxied = await send("GET", `${a.path}/data?x=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(proxied.status).toBe(200);
    const seen = proxied.body.headers as Record<string, string>;
    expect(seen["x-consumer-id"]).toBe(c.consumer.id);
    expect(seen["x-consumer-username"]).toBe(c.consumer.username);
    expect(seen["x-consumer-custom-id"]).toBe(c.consumer.custom_id);
    expect(seen["x-credential-identifier"]).toBe(c.clientId);
    expect(seen["x-authenticated-scope"]).toBe("email");
    expect(seen["x-authenticated-userid"]).toBeUndefined();
    expect(seen["x-anonymous-consumer"]).toBeUndefined();
    expect(seen.authorization).toBe(`Bearer ${token}`);
  });

  it("client credentials in a Basic header; a wrong one is a 401 with Basic realm=OAuth2.0", async () => {
    const a = await api({ enable_client_credentials: true });
    const c = await app();
    const basic = (id: string, secret: string) =>
      `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
    let r = await send("POST", `${a.path}/oauth2/token`, {
      headers: { ...HTTPS, authorization: basic(c.clientId, c.clientSecret) },
      form: { grant_type: "client_credentials" },
    });
    expect(r.status).toBe(200);
    r = await send("POST", `${a.path}/oauth2/token`, {
      headers: { ...HTTPS, authorization: basic(c.clientId, "nope") },
      form: { grant_type: "client_credentials" },
    });
    expect([r.status, r.body]).toEqual([
      401,
      { error: "invalid_client", error_description: "Invalid client authentication" },
    ]);
    expect(r.headers.get("www-authenticate")).toBe('Basic realm="OAuth2.0"');
    r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: { client_id: c.clientId, client_secret: c.clientSecret, grant_type: "password" },
    });
    expect(r.body).toEqual({ error: "unsupported_grant_type", error_description: "Invalid grant_type" });
  });

  it("password grant: provision_key and authenticated_userid required; refresh token issued", async () => {
    const a = await api({ enable_password_grant: true });
    const c = await app();
    const base = { client_id: c.clientId, client_secret: c.clientSecret, grant_type: "password" };
    let r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: { ...base, provision_key: "x" },
    });
    expect(r.body).toEqual({ error: "invalid_provision_key", error_description: "Invalid provision_key" });
    r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: { ...base, provision_key: a.provisionKey },
    });
    expect(r.body.error).toBe("invalid_authenticated_userid");
    r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: { ...base, provision_key: a.provisionKey, authenticated_userid: "id123", state: "st" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: "bearer", expires_in: 7200, state: "st" });
    expect(r.body.refresh_token).toMatch(/^[0-9a-f]{32}$/);
    const proxied = await send("GET", a.path, {
      headers: { authorization: `bearer ${r.body.access_token}` },
    });
    expect((proxied.body.headers as Json)["x-authenticated-userid"]).toBe("id123");
  });

  it("authorization code: exchanged once for a token; a wrong client or a used code is Invalid code", async () => {
    const a = await api({ enable_authorization_code: true });
    const c = await app();
    const other = await app();
    const code = await authorizeCode(a, c);
    let r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: {
        code,
        client_id: other.clientId,
        client_secret: other.clientSecret,
        grant_type: "authorization_code",
      },
    });
    expect(r.body).toEqual({ error: "invalid_request", error_description: "Invalid code" });
    const form = {
      code,
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_type: "authorization_code",
    };
    r = await send("POST", `${a.path}/oauth2/token`, { headers: HTTPS, form });
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).toMatch(/^[0-9a-f]{32}$/);
    r = await send("POST", `${a.path}/oauth2/token`, { headers: HTTPS, form });
    expect([r.status, r.body]).toEqual([
      400,
      { error: "invalid_request", error_description: "Invalid code" },
    ]);
  });

  it("a code used twice at once gets one token: the second exchange is Invalid code", async () => {
    const a = await api({ enable_authorization_code: true });
    const c = await app();
    const code = await authorizeCode(a, c);
    const form = {
      code,
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_type: "authorization_code",
    };
    const both = await Promise.all([
      send("POST", `${a.path}/oauth2/token`, { headers: HTTPS, form }),
      send("POST", `${a.path}/oauth2/token`, { headers: HTTPS, form }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(both.find((r) => r.status === 400)?.body).toEqual({
      error: "invalid_request",
      error_description: "Invalid code",
    });
  });

  it("a code issued for one service is no good on another", async () => {
    const a = await api({ enable_authorization_code: true });
    const b = await api({ enable_authorization_code: true });
    const c = await app();
    const code = await authorizeCode(a, c);
    const r = await send("POST", `${b.path}/oauth2/token`, {
      headers: HTTPS,
      form: { code, client_id: c.clientId, client_secret: c.clientSecret, grant_type: "authorization_code" },
    });
    expect(r.body).toEqual({ error: "invalid_request", error_description: "Invalid code" });
  });
});

describe("PKCE", () => {
  const verifier = () => randomBytes(32).toString("base64url"); // 43 characters
  const s256 = (v: string) => createHash("sha256").update(v).digest("base64url");

  it("a public client must send a challenge (lax), never a secret; the verifier must match", async () => {
    const a = await api({ enable_authorization_code: true });
    const c = await app({ client_type: "public" });
    let r = await send("POST", `${a.path}/oauth2/authorize`, {
      headers: HTTPS,
      form: {
        provision_key: a.provisionKey,
        client_id: c.clientId,
        response_type: "code",
        authenticated_userid: "u",
      },
    });
    expect(query(r.body.redirect_uri as string).get("error_description")).toBe(
      "code_challenge is required for public clients",
    );
    r = await send("POST", `${a.path}/oauth2/authorize`, {
      headers: HTTPS,
      form: {
        provision_key: a.provisionKey,
        client_id: c.clientId,
        response_type: "code",
        authenticated_userid: "u",
        code_challenge: "abc",
        code_challenge_method: "plain",
      },
    });
    expect(query(r.body.redirect_uri as string).get("error_description")).toBe(
      "code_challenge_method is not supported, must be S256",
    );
    const v = verifier();
    const code = await authorizeCode(a, c, { code_challenge: s256(v), code_challenge_method: "S256" });
    const form = { code, client_id: c.clientId, grant_type: "authorization_code" };
    r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: { ...form, client_secret: "x" },
    });
    expect(r.body).toEqual({
      error: "invalid_request",
      error_description: "client_secret is disallowed for public clients",
    });
    r = await send("POST", `${a.path}/oauth2/token`, { headers: HTTPS, form });
    expect(r.body.error_description).toBe("code_verifier is required for PKCE authorization requests");
    r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: { ...form, code_verifier: "short" },
    });
    expect(r.body.error_description).toBe("code_verifier must be between 43 and 128 characters");
    r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: { ...form, code_verifier: verifier() },
    });
    expect(r.body).toEqual({ error: "invalid_grant", error_description: "Invalid code" });
    r = await send("POST", `${a.path}/oauth2/token`, { headers: HTTPS, form: { ...form, code_verifier: v } });
    expect(r.status).toBe(200);
  });

  it("strict: a confidential client needs a challenge too; none: a public one does not", async () => {
    const strict = await api({ enable_authorization_code: true, pkce: "strict" });
    const conf = await app();
    const r = await send("POST", `${strict.path}/oauth2/authorize`, {
      headers: HTTPS,
      form: {
        provision_key: strict.provisionKey,
        client_id: conf.clientId,
        response_type: "code",
        authenticated_userid: "u",
      },
    });
    expect(query(r.body.redirect_uri as string).get("error_description")).toBe(
      "code_challenge is required for confidential clients",
    );
    const none = await api({ enable_authorization_code: true, pkce: "none" });
    const pub = await app({ client_type: "public" });
    const code = await authorizeCode(none, pub);
    const t = await send("POST", `${none.path}/oauth2/token`, {
      headers: HTTPS,
      form: { code, client_id: pub.clientId, grant_type: "authorization_code" },
    });
    expect(t.status).toBe(200);
  });
});

describe("refresh tokens", () => {
  async function passwordToken(a: Api, c: App): Promise<Json> {
    const r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: {
        client_id: c.clientId,
        client_secret: c.clientSecret,
        grant_type: "password",
        provision_key: a.provisionKey,
        authenticated_userid: "u",
      },
    });
    expect(r.status).toBe(200);
    return r.body;
  }

  it("a refresh token gets a new token and the old one is gone", async () => {
    const a = await api({ enable_password_grant: true });
    const c = await app();
    const first = await passwordToken(a, c);
    const form = {
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_type: "refresh_token",
      refresh_token: first.refresh_token as string,
    };
    let r = await send("POST", `${a.path}/oauth2/token`, { headers: HTTPS, form });
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).not.toBe(first.refresh_token);
    expect(
      (await send("GET", a.path, { headers: { authorization: `bearer ${first.access_token}` } })).status,
    ).toBe(401);
    expect(
      (await send("GET", a.path, { headers: { authorization: `bearer ${r.body.access_token}` } })).status,
    ).toBe(200);
    r = await send("POST", `${a.path}/oauth2/token`, { headers: HTTPS, form });
    expect(r.body).toEqual({ error: "invalid_request", error_description: "Invalid refresh_token" });
  });

  it("reuse_refresh_token keeps the refresh token across refreshes", async () => {
    const a = await api({ enable_password_grant: true, reuse_refresh_token: true });
    const c = await app();
    const first = await passwordToken(a, c);
    const form = {
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_type: "refresh_token",
      refresh_token: first.refresh_token as string,
    };
    const r1 = await send("POST", `${a.path}/oauth2/token`, { headers: HTTPS, form });
    const r2 = await send("POST", `${a.path}/oauth2/token`, { headers: HTTPS, form });
    expect([r1.status, r2.status]).toEqual([200, 200]);
    expect([r1.body.refresh_token, r2.body.refresh_token]).toEqual([
      first.refresh_token,
      first.refresh_token,
    ]);
    expect(r2.body.access_token).not.toBe(r1.body.access_token);
  });

  it("another application's refresh token is invalid_client", async () => {
    const a = await api({ enable_password_grant: true });
    const c = await app();
    const other = await app();
    const first = await passwordToken(a, c);
    const r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: {
        client_id: other.clientId,
        client_secret: other.clientSecret,
        grant_type: "refresh_token",
        refresh_token: first.refresh_token as string,
      },
    });
    expect(r.body).toEqual({ error: "invalid_client", error_description: "Invalid client authentication" });
  });
});

describe("proxied requests", () => {
  async function clientToken(a: Api, c: App): Promise<string> {
    const r = await send("POST", `${a.path}/oauth2/token`, {
      headers: HTTPS,
      form: { client_id: c.clientId, client_secret: c.clientSecret, grant_type: "client_credentials" },
    });
    return r.body.access_token as string;
  }

  it("401s: missing (Bearer challenge with realm), invalid, another service's token", async () => {
    const a = await api({ enable_client_credentials: true, realm: "kong" });
    const b = await api({ enable_client_credentials: true });
    const c = await app();
    let r = await send("GET", a.path);
    expect([r.status, r.body]).toEqual([
      401,
      { error: "invalid_request", error_description: "The access token is missing" },
    ]);
    expect(r.headers.get("www-authenticate")).toBe('Bearer realm="kong"');
    r = await send("GET", a.path, { headers: { authorization: "bearer nope" } });
    expect([r.status, r.body]).toEqual([
      401,
      { error: "invalid_token", error_description: "The access token is invalid or has expired" },
    ]);
    expect(r.headers.get("www-authenticate")).toBe(
      'Bearer realm="kong", error="invalid_token", error_description="The access token is invalid or has expired"',
    );
    const token = await clientToken(b, c);
    expect((await send("GET", a.path, { headers: { authorization: `bearer ${token}` } })).status).toBe(401);
    expect((await send("GET", b.path, { headers: { authorization: `bearer ${token}` } })).status).toBe(200);
  });

  it("access_token as a query or body argument; hide_credentials removes it from each place", async () => {
    const a = await api({ enable_client_credentials: true, hide_credentials: true });
    const c = await app();
    const token = await clientToken(a, c);
    let r = await send("GET", `${a.path}/q?access_token=${token}&keep=1`);
    expect(r.status).toBe(200);
    expect(r.body.url).toBe("/q?keep=1");
    r = await send("POST", `${a.path}/b`, { form: { access_token: token, other: "x" } });
    expect(r.status).toBe(200);
    expect(r.body.body).toBe("other=x");
    r = await send("GET", a.path, { headers: { authorization: `bearer ${token}` } });
    expect((r.body.headers as Json).authorization).toBeUndefined();
  });

  it("an expired token (token_expiration 1) is invalid", async () => {
    const a = await api({ enable_client_credentials: true, token_expiration: 1 });
    const c = await app();
    const token = await clientToken(a, c);
    expect((await send("GET", a.path, { headers: { authorization: `bearer ${token}` } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const r = await send("GET", a.path, { headers: { authorization: `bearer ${token}` } });
    expect([r.status, r.body.error]).toEqual([401, "invalid_token"]);
  });

  it("a token past its refresh_token_ttl is deleted with the application's next token", async () => {
    const a = await api({ enable_client_credentials: true, token_expiration: 1, refresh_token_ttl: 1 });
    const c = await app();
    const first = await clientToken(a, c);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const second = await clientToken(a, c);
    const listed = ((await admin.get("/oauth2_tokens")).body.data as Json[]).map((t) => t.access_token);
    expect(listed).toContain(second);
    expect(listed).not.toContain(first);
  });

  it("global_credentials: a token from one service works on another; without it a global token is refused", async () => {
    const a = await api({ enable_client_credentials: true, global_credentials: true });
    const b = await api({ enable_client_credentials: true, global_credentials: true });
    const scoped = await api({ enable_client_credentials: true });
    const c = await app();
    const token = await clientToken(a, c);
    expect((await send("GET", b.path, { headers: { authorization: `bearer ${token}` } })).status).toBe(200);
    const r = await send("GET", scoped.path, { headers: { authorization: `bearer ${token}` } });
    expect([r.status, r.body]).toEqual([
      401,
      {
        error: "invalid_token",
        error_description:
          "The access token is global, but the current plugin is configured without 'global_credentials'",
      },
    ]);
  });

  it("anonymous: a failed authentication proxies as the anonymous consumer; a missing one is a 500", async () => {
    const anon = await admin.create("/consumers", { username: unique("anon") });
    const a = await api({ enable_client_credentials: true, anonymous: anon.id });
    let r = await send("GET", a.path, { headers: { "x-authenticated-scope": "spoofed" } });
    expect(r.status).toBe(200);
    const seen = r.body.headers as Json;
    expect(seen["x-consumer-id"]).toBe(anon.id);
    expect(seen["x-anonymous-consumer"]).toBe("true");
    expect(seen["x-authenticated-scope"]).toBeUndefined();
    const missing = await api({ enable_client_credentials: true, anonymous: "no-such-consumer" });
    r = await send("GET", missing.path);
    expect(r.status).toBe(500);
    expect(r.body.message).toBe("anonymous consumer no-such-consumer is configured but doesn't exist");
  });

  it("acl runs after oauth2: the token's consumer groups decide, the anonymous one is refused", async () => {
    const anon = await admin.create("/consumers", { username: unique("anon") });
    const a = await api({ enable_client_credentials: true, anonymous: anon.id }, [
      { name: "acl", config: { allow: ["admins"] } },
    ]);
    const admins = await app();
    await admin.create(`/consumers/${admins.consumer.id}/acls`, { group: "admins" });
    const others = await app();
    expect(
      (await send("GET", a.path, { headers: { authorization: `bearer ${await clientToken(a, admins)}` } }))
        .status,
    ).toBe(200);
    expect(
      (await send("GET", a.path, { headers: { authorization: `bearer ${await clientToken(a, others)}` } }))
        .status,
    ).toBe(403);
    expect((await send("GET", a.path)).status).toBe(403);
  });
});

describe("tokens on the Admin API", () => {
  it("/oauth2_tokens lists issued tokens; one written there authenticates; deleting the app removes them", async () => {
    const a = await api({ enable_client_credentials: true });
    const c = await app();
    const written = await admin.create("/oauth2_tokens", {
      credential: { id: c.credential.id },
      service: { id: a.service.id },
      expires_in: 3600,
      scope: "email",
    });
    expect(written).toMatchObject({
      token_type: "bearer",
      expires_in: 3600,
      credential: { id: c.credential.id },
    });
    const token = written.access_token as string;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect((await admin.get(`/oauth2_tokens/${token}`)).body.id).toBe(written.id);
    let r = await send("GET", a.path, { headers: { authorization: `bearer ${token}` } });
    expect([r.status, (r.body.headers as Json)["x-authenticated-scope"]]).toEqual([200, "email"]);
    expect((await admin.delete(`/consumers/${c.consumer.id}/oauth2/${c.clientId}`)).status).toBe(204);
    expect((await admin.get(`/oauth2_tokens/${written.id as string}`)).status).toBe(404);
    r = await send("GET", a.path, { headers: { authorization: `bearer ${token}` } });
    expect(r.status).toBe(401);
  });
});

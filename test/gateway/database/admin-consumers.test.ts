/**
 * /consumers and their credentials in database mode on a real PostgreSQL, as Kong 3.x answers
 * (spec/02-integration/04-admin_api/03-consumers_routes_spec.lua and the plugins' api specs:
 * 09-key-auth, 10-basic-auth, 16-jwt, 18-acl re-expressed): consumers by id and username,
 * PUT upserts, DELETE removing the consumer's credentials and plugins; /consumers/{c}/key-auth,
 * /jwt, /basic-auth, /acls created, listed (keys shown as Kong shows them), read by id and by
 * key, patched, upserted and deleted through the consumer; /consumers/{c}/plugins; and a
 * credential authenticating on the proxy from the moment it is created until it is deleted.
 */
import { createHash, createHmac } from "node:crypto";
import { fetch } from "undici";
import { describe, expect, it } from "vitest";
import { AdminClient, adminPerFile, type Json, NOT_FOUND, schemaViolation, unique } from "./_admin.js";

const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

const bed = adminPerFile();
const admin = () => bed.admin();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = "7b9d3f4e-1c2a-4b5d-8e6f-0a1b2c3d4e5f";

const consumer = (username = unique("user")) => admin().create("/consumers", { username });

describe("/consumers", () => {
  it("creates a consumer with Kong's fields and timestamps", async () => {
    const username = unique("bob");
    const r = await admin().post("/consumers", { username });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.stringMatching(UUID),
      created_at: expect.any(Number),
      updated_at: expect.any(Number),
      username,
      custom_id: null,
      tags: null,
    });
  });

  it("creates from a form with only a custom_id and tags", async () => {
    const custom = unique("cid");
    const r = await admin().form("POST", "/consumers", `custom_id=${custom}&tags[]=x&tags[]=y`);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ username: null, custom_id: custom, tags: ["x", "y"] });
  });

  it("answers 400 without username and custom_id, 409 for a taken one", async () => {
    let r = await admin().post("/consumers", {});
    expect(r.status).toBe(400);
    const msg = "at least one of these fields must be non-empty: 'custom_id', 'username'";
    expect(r.body).toEqual(schemaViolation(`schema violation (${msg})`, { "@entity": [msg] }));

    const username = unique("bob");
    const custom = unique("cid");
    await admin().create("/consumers", { username, custom_id: custom });
    r = await admin().post("/consumers", { username });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({
      code: 5,
      name: "unique constraint violation",
      message: `UNIQUE violation detected on '{username="${username}"}'`,
      fields: { username },
    });
    r = await admin().post("/consumers", { custom_id: custom });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 5, fields: { custom_id: custom } });
  });

  it("reads by id and by username; 404 otherwise", async () => {
    const c = await consumer();
    expect(await admin().get(`/consumers/${c.id}`)).toMatchObject({ status: 200, body: c });
    expect(await admin().get(`/consumers/${c.username}`)).toMatchObject({ status: 200, body: c });
    expect(await admin().get(`/consumers/${MISSING}`)).toMatchObject({ status: 404, body: NOT_FOUND });
    expect(await admin().get("/consumers/nobody-at-all")).toMatchObject({ status: 404, body: NOT_FOUND });
  });

  it("finds a consumer by ?custom_id= (a list of one or none); 400 for an empty one", async () => {
    const custom = unique("cid");
    const c = await admin().create("/consumers", { username: unique("u"), custom_id: custom });
    await consumer();
    expect(await admin().get(`/consumers?custom_id=${custom}`)).toMatchObject({
      status: 200,
      body: { data: [c], next: null },
    });
    expect((await admin().get("/consumers?custom_id=nobody-has-it")).text).toBe('{"data":[],"next":null}');
    expect(await admin().get("/consumers?custom_id=")).toMatchObject({
      status: 400,
      body: { message: "custom_id must be an unempty string" },
    });
  });

  it("answers 400 for an id that is no UUID", async () => {
    const r = await admin().post("/consumers", { id: "not-a-uuid", username: unique("u") });
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (id: expected a valid UUID)", { id: "expected a valid UUID" }),
    );
  });

  it("patches by username, upserts by username", async () => {
    const c = await consumer();
    let r = await admin().form("PATCH", `/consumers/${c.username}`, "custom_id=patched-cid");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: c.id, username: c.username, custom_id: "patched-cid" });

    const username = unique("put");
    r = await admin().put(`/consumers/${username}`, {});
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ username, custom_id: null });
    const id = r.body.id;
    r = await admin().put(`/consumers/${username}`, { custom_id: unique("cid") });
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(id);
    expect((await admin().patch(`/consumers/${MISSING}`, { custom_id: "x" })).status).toBe(404);
  });

  it("deletes a consumer with its credentials and plugins; 204 for a missing one", async () => {
    const c = await consumer();
    const key = await admin().create(`/consumers/${c.id}/key-auth`, {});
    const acl = await admin().create(`/consumers/${c.id}/acls`, { group: "admin" });
    const plugin = await admin().create(`/consumers/${c.id}/plugins`, {
      name: "rate-limiting",
      config: { minute: 5 },
    });
    expect((await admin().delete(`/consumers/${c.username}`)).status).toBe(204);
    expect((await admin().get(`/consumers/${c.id}`)).status).toBe(404);
    expect((await admin().get(`/plugins/${plugin.id}`)).status).toBe(404);
    // a new consumer may take the deleted one's key
    const d = await consumer();
    expect((await admin().post(`/consumers/${d.id}/key-auth`, { key: key.key })).status).toBe(201);
    expect((await admin().get(`/consumers/${d.id}/acls/${acl.id}`)).status).toBe(404);
    expect((await admin().delete(`/consumers/${c.id}`)).status).toBe(204);
  });
});

describe("/consumers/{consumer}/plugins", () => {
  it("creates a plugin from a form with dotted config keys typed by the plugin's schema", async () => {
    const c = await consumer();
    const r = await admin().form(
      "POST",
      `/consumers/${c.username}/plugins`,
      "name=rate-limiting&config.minute=5&config.hide_client_headers=true",
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: "rate-limiting",
      consumer: { id: c.id },
      service: null,
      route: null,
    });
    expect(r.body.config).toMatchObject({ minute: 5, hide_client_headers: true });
    expect(await admin().get(`/consumers/${c.id}/plugins`)).toMatchObject({
      status: 200,
      body: { data: [r.body], next: null },
    });
    expect(await admin().get(`/consumers/${c.id}/plugins/${r.body.id}`)).toMatchObject({
      status: 200,
      body: r.body,
    });
    expect((await admin().delete(`/consumers/${c.id}/plugins/${r.body.id}`)).status).toBe(204);
    expect((await admin().get(`/consumers/${c.id}/plugins`)).body).toEqual({ data: [], next: null });
  });

  it("PUT creates a plugin with the path's id under the consumer, then replaces it", async () => {
    const c = await consumer();
    const id = "6d5c4b3a-2f1e-4d0c-9b8a-7f6e5d4c3b2a";
    let r = await admin().put(`/consumers/${c.username}/plugins/${id}`, {
      name: "rate-limiting",
      config: { minute: 3 },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, name: "rate-limiting", consumer: { id: c.id } });
    r = await admin().form("PUT", `/consumers/${c.id}/plugins/${id}`, "name=rate-limiting&config.hour=9");
    expect(r.status).toBe(200);
    // replaced, not merged: the minute limit is gone
    expect(r.body.config).toMatchObject({ hour: 9 });
    expect((r.body.config as Json).minute ?? null).toBeNull();
    expect(await admin().get(`/consumers/${c.id}/plugins`)).toMatchObject({
      body: { data: [r.body], next: null },
    });
  });

  it("answers 404 under a missing consumer", async () => {
    expect((await admin().post("/consumers/nobody-here/plugins", { name: "cors" })).status).toBe(404);
    expect((await admin().get("/consumers/nobody-here/plugins")).status).toBe(404);
  });
});

describe("/consumers/{consumer}/key-auth", () => {
  it("creates with a key or a generated one, lists and reads them with their keys", async () => {
    const c = await consumer();
    const key = unique("key");
    const r = await admin().post(`/consumers/${c.username}/key-auth`, { key });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.stringMatching(UUID),
      created_at: expect.any(Number),
      consumer: { id: c.id },
      key,
      tags: null,
      ttl: null,
    });
    const generated = await admin().create(`/consumers/${c.id}/key-auth`, { tags: ["t1"] });
    expect(generated.key).toMatch(/^[0-9a-f]{32}$/);
    expect(generated.tags).toEqual(["t1"]);

    const list = await admin().get(`/consumers/${c.id}/key-auth`);
    expect(list.status).toBe(200);
    expect(list.body.next).toBeNull();
    expect(list.body.data).toHaveLength(2);
    expect(list.body.data).toEqual(expect.arrayContaining([r.body, generated]));
    expect(await admin().get(`/consumers/${c.id}/key-auth/${r.body.id}`)).toMatchObject({
      status: 200,
      body: r.body,
    });
    expect(await admin().get(`/consumers/${c.username}/key-auth/${key}`)).toMatchObject({
      status: 200,
      body: r.body,
    });
    // only through its own consumer
    const other = await consumer();
    expect((await admin().get(`/consumers/${other.id}/key-auth/${r.body.id}`)).status).toBe(404);
  });

  it("answers 404 under a missing consumer and 409 for a taken key", async () => {
    expect((await admin().post("/consumers/nobody-here/key-auth", {})).status).toBe(404);
    const c = await consumer();
    const key = unique("key");
    await admin().create(`/consumers/${c.id}/key-auth`, { key });
    const r = await admin().post(`/consumers/${c.id}/key-auth`, { key });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({
      code: 5,
      name: "unique constraint violation",
      message: `UNIQUE violation detected on '{key="${key}"}'`,
      fields: { key },
    });
  });

  it("upserts by key, patches by id and by key, refuses a bad key, deletes (404 for a missing one)", async () => {
    const c = await consumer();
    const key = unique("key");
    let r = await admin().put(`/consumers/${c.id}/key-auth/${key}`, {});
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ key, consumer: { id: c.id } });
    const id = r.body.id as string;

    r = await admin().patch(`/consumers/${c.id}/key-auth/${id}`, { key: `${key}-2` });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, key: `${key}-2` });
    r = await admin().form("PATCH", `/consumers/${c.id}/key-auth/${key}-2`, `key=${key}-3`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, key: `${key}-3` });

    r = await admin().patch(`/consumers/${c.id}/key-auth/${id}`, { key: 123 });
    expect(r.status).toBe(400);
    expect(r.body.fields).toEqual({ key: "expected a string" });

    expect((await admin().delete(`/consumers/${c.id}/key-auth/${id}`)).status).toBe(204);
    expect((await admin().delete(`/consumers/${c.id}/key-auth/${id}`)).status).toBe(404);
    expect((await admin().delete(`/consumers/${c.id}/key-auth/blah`)).status).toBe(404);
  });

  it("authenticates on the proxy from its creation until its deletion", async () => {
    const up = bed.upstream();
    const path = `/${unique("keyed")}`;
    const s = await admin().create("/services", { url: up.url });
    const route = await admin().create(`/services/${s.id}/routes`, { paths: [path] });
    await admin().create(`/routes/${route.id}/plugins`, { name: "key-auth" });
    expect((await bed.proxy(path)).status).toBe(401);

    const c = await consumer();
    const cred = await admin().create(`/consumers/${c.id}/key-auth`, { key: unique("secret") });
    expect((await bed.proxy(path, { apikey: cred.key as string })).status).toBe(200);
    expect((await admin().delete(`/consumers/${c.id}/key-auth/${cred.id}`)).status).toBe(204);
    expect((await bed.proxy(path, { apikey: cred.key as string })).status).toBe(401);
  });
});

describe("/consumers/{consumer}/jwt", () => {
  it("creates a jwt secret with a generated key and secret", async () => {
    const c = await consumer();
    const r = await admin().post(`/consumers/${c.username}/jwt/`, {});
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.stringMatching(UUID),
      created_at: expect.any(Number),
      consumer: { id: c.id },
      key: expect.stringMatching(/^[0-9a-f]{32}$/),
      secret: expect.stringMatching(/^[0-9a-f]{32}$/),
      algorithm: "HS256",
      rsa_public_key: null,
      tags: null,
    });
    expect(await admin().get(`/consumers/${c.id}/jwt/${r.body.key}`)).toMatchObject({
      status: 200,
      body: r.body,
    });
    expect(await admin().get(`/consumers/${c.id}/jwt`)).toMatchObject({
      body: { data: [r.body], next: null },
    });
  });

  it("accepts a given key and secret; the same secret on two consumers", async () => {
    const a = await consumer();
    const b = await consumer();
    const ra = await admin().post(`/consumers/${a.id}/jwt`, { key: unique("ka"), secret: "foobarbaz" });
    const rb = await admin().post(`/consumers/${b.id}/jwt`, { key: unique("kb"), secret: "foobarbaz" });
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(rb.body.secret).toBe("foobarbaz");
  });

  it("answers 400 for RS256 without rsa_public_key", async () => {
    const c = await consumer();
    const r = await admin().post(`/consumers/${c.id}/jwt`, { key: unique("k"), algorithm: "RS256" });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 2, name: "schema violation" });
    expect((r.body.fields as Record<string, unknown>).rsa_public_key).toBe("required field missing");
  });

  it("authenticates a signed token on the proxy at once; a new secret takes over at once", async () => {
    const up = bed.upstream();
    const path = `/${unique("jwt")}`;
    const s = await admin().create("/services", { url: up.url });
    await admin().create(`/services/${s.id}/routes`, { paths: [path] });
    await admin().form("POST", `/services/${s.id}/plugins`, "name=jwt");
    const c = await consumer();
    const j = await admin().create(`/consumers/${c.id}/jwt`, {});
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const token = (secret: string) => {
      const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ iss: j.key })}`;
      return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
    };
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    expect((await bed.proxy(path)).status).toBe(401);
    expect((await bed.proxy(path, bearer(token(j.secret as string)))).status).toBe(200);
    await admin().patch(`/consumers/${c.id}/jwt/${j.id}`, { secret: "rotated-secret" });
    expect((await bed.proxy(path, bearer(token(j.secret as string)))).status).toBe(401);
    expect((await bed.proxy(path, bearer(token("rotated-secret")))).status).toBe(200);
  });

  it("patches, deletes by key; 404 for a missing one", async () => {
    const c = await consumer();
    const j = await admin().create(`/consumers/${c.id}/jwt`, { key: unique("k") });
    const r = await admin().patch(`/consumers/${c.id}/jwt/${j.id}`, { secret: "newsecret" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: j.id, key: j.key, secret: "newsecret" });
    expect((await admin().delete(`/consumers/${c.id}/jwt/${j.key}`)).status).toBe(204);
    expect((await admin().get(`/consumers/${c.id}/jwt/${j.id}`)).status).toBe(404);
    expect((await admin().patch(`/consumers/${c.id}/jwt/${j.id}`, { secret: "x" })).status).toBe(404);
  });
});

describe("/consumers/{consumer}/basic-auth", () => {
  it("creates a credential; 400 without username and password; 409 for a taken username", async () => {
    const c = await consumer();
    const username = unique("basic");
    const r = await admin().post(`/consumers/${c.id}/basic-auth`, {
      username,
      password: "kong",
      tags: ["t1", "t2"],
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ consumer: { id: c.id }, username, tags: ["t1", "t2"] });

    const bad = await admin().post(`/consumers/${c.id}/basic-auth`, {});
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual(
      schemaViolation(
        "2 schema violations (password: required field missing; username: required field missing)",
        {
          password: "required field missing",
          username: "required field missing",
        },
      ),
    );
    const taken = await admin().post(`/consumers/${c.id}/basic-auth`, { username, password: "other" });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 5, fields: { username } });
  });

  it("stores and shows Kong's salted hash, sha1(password .. consumer_id), never the password", async () => {
    const c = await consumer();
    const kong = sha1(`kong${c.id}`);
    const r = await admin().post(`/consumers/${c.id}/basic-auth`, {
      username: unique("h"),
      password: "kong",
    });
    expect(r.status).toBe(201);
    expect(r.body.password).toBe(kong);
    const spaced = await admin().form(
      "POST",
      `/consumers/${c.id}/basic-auth`,
      `username=${unique("h")}&password=+kong+`,
    );
    expect(spaced.body.password).toBe(sha1(` kong ${c.id}`));
    const list = (await admin().get(`/consumers/${c.id}/basic-auth`)).body.data as Json[];
    expect(list.map((x) => x.password).sort()).toEqual([kong, sha1(` kong ${c.id}`)].sort());
    expect((await admin().get("/config")).text).not.toContain('"kong"');

    // a PATCH without a password keeps the hash; with one, hashes the new one
    let p = await admin().patch(`/consumers/${c.id}/basic-auth/${r.body.id}`, { tags: ["t"] });
    expect(p.body.password).toBe(kong);
    p = await admin().patch(`/consumers/${c.id}/basic-auth/${r.body.id}`, { password: "new" });
    expect(p.body.password).toBe(sha1(`new${c.id}`));
  });

  it("POST /config in database mode stores basic-auth passwords hashed too, and they authenticate", async () => {
    const gw = await bed.fx.gateway(await bed.fx.freshDatabase());
    const other = new AdminClient(gw.adminUrl!);
    const up = bed.upstream();
    const doc = {
      _format_version: "3.0",
      services: [{ name: "s", url: up.url, routes: [{ paths: ["/b"] }], plugins: [{ name: "basic-auth" }] }],
      consumers: [{ username: "u", basicauth_credentials: [{ username: "u1", password: "pw" }] }],
    };
    expect((await other.post("/config", doc)).status).toBe(201);
    const u = (await other.get("/consumers/u")).body;
    const creds = (await other.get("/consumers/u/basic-auth")).body.data as Json[];
    expect(creds[0]?.password).toBe(sha1(`pw${u.id}`));
    const auth = { authorization: `Basic ${Buffer.from("u1:pw").toString("base64")}` };
    const res = await fetch(`${gw.proxyUrl}/b`, { headers: auth });
    await res.text();
    expect(res.status).toBe(200);
  });

  it("reads by id and by username, patches, deletes", async () => {
    const c = await consumer();
    const username = unique("basic");
    const cred = await admin().create(`/consumers/${c.id}/basic-auth`, { username, password: "kong" });
    expect(await admin().get(`/consumers/${c.id}/basic-auth/${username}`)).toMatchObject({
      status: 200,
      body: { id: cred.id, username },
    });
    const r = await admin().patch(`/consumers/${c.id}/basic-auth/${cred.id}`, { username: `${username}-2` });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: cred.id, username: `${username}-2` });
    expect((await admin().delete(`/consumers/${c.id}/basic-auth/${username}-2`)).status).toBe(204);
    expect((await admin().get(`/consumers/${c.id}/basic-auth/${cred.id}`)).status).toBe(404);
  });

  it("authenticates on the proxy, a new password at once after a PATCH", async () => {
    const up = bed.upstream();
    const path = `/${unique("basic")}`;
    const s = await admin().create("/services", { url: up.url });
    await admin().create(`/services/${s.id}/routes`, { paths: [path] });
    await admin().create(`/services/${s.id}/plugins`, { name: "basic-auth" });
    const c = await consumer();
    const username = unique("u");
    const cred = await admin().create(`/consumers/${c.id}/basic-auth`, { username, password: "first" });
    const auth = (password: string) => ({
      authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`,
    });
    expect((await bed.proxy(path, auth("first"))).status).toBe(200);
    expect((await bed.proxy(path, auth("wrong"))).status).toBe(401);
    await admin().patch(`/consumers/${c.id}/basic-auth/${cred.id}`, { password: "second" });
    expect((await bed.proxy(path, auth("first"))).status).toBe(401);
    expect((await bed.proxy(path, auth("second"))).status).toBe(200);
  });
});

describe("/consumers/{consumer}/acls", () => {
  it("creates groups, reads by id and by group, 409 for the same group twice, deletes by group", async () => {
    const c = await consumer();
    const r = await admin().form("POST", `/consumers/${c.username}/acls`, "group=admin");
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.stringMatching(UUID),
      created_at: expect.any(Number),
      consumer: { id: c.id },
      group: "admin",
      tags: null,
    });
    expect(await admin().get(`/consumers/${c.id}/acls/admin`)).toMatchObject({ status: 200, body: r.body });
    expect(await admin().get(`/consumers/${c.id}/acls/${r.body.id}`)).toMatchObject({
      status: 200,
      body: r.body,
    });

    const again = await admin().post(`/consumers/${c.id}/acls`, { group: "admin" });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      code: 5,
      name: "unique constraint violation",
      message: `UNIQUE violation detected on '{consumer={id="${c.id}"},group="admin"}'`,
      fields: { consumer: { id: c.id }, group: "admin" },
    });
    // another consumer may be in the same group
    const d = await consumer();
    expect((await admin().post(`/consumers/${d.id}/acls`, { group: "admin" })).status).toBe(201);

    const bad = await admin().post(`/consumers/${c.id}/acls`, {});
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({ group: "required field missing" });

    expect((await admin().delete(`/consumers/${c.id}/acls/admin`)).status).toBe(204);
    expect((await admin().get(`/consumers/${c.id}/acls/admin`)).status).toBe(404);
    expect((await admin().delete(`/consumers/${c.id}/acls/admin`)).status).toBe(404);
  });

  it("a group written lets its consumer through an acl plugin at once; deleted, it stops", async () => {
    const up = bed.upstream();
    const path = `/${unique("acl")}`;
    const s = await admin().create("/services", { url: up.url });
    await admin().create(`/services/${s.id}/routes`, { paths: [path] });
    await admin().create(`/services/${s.id}/plugins`, { name: "key-auth" });
    await admin().form("POST", `/services/${s.id}/plugins`, "name=acl&config.allow[]=gold");
    const c = await consumer();
    const key = unique("acl-key");
    await admin().create(`/consumers/${c.id}/key-auth`, { key });
    expect((await bed.proxy(path, { apikey: key })).status).toBe(403);
    await admin().create(`/consumers/${c.id}/acls`, { group: "gold" });
    expect((await bed.proxy(path, { apikey: key })).status).toBe(200);
    expect((await admin().delete(`/consumers/${c.id}/acls/gold`)).status).toBe(204);
    expect((await bed.proxy(path, { apikey: key })).status).toBe(403);
  });

  it("PUT by group creates it; PATCH renames it", async () => {
    const c = await consumer();
    let r = await admin().put(`/consumers/${c.id}/acls/ops`, {});
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ group: "ops", consumer: { id: c.id } });
    r = await admin().patch(`/consumers/${c.id}/acls/ops`, { group: "dev" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ group: "dev" });
    r = await admin().patch(`/consumers/${c.id}/acls/dev`, { group: 1 });
    expect(r.status).toBe(400);
    expect(r.body.fields).toEqual({ group: "expected a string" });
  });
});

describe("top-level credential endpoints (/key-auths, /jwts, /basic-auths, /acls)", () => {
  it("list every consumer's credentials, read one by id or key, and its consumer", async () => {
    const c = await consumer();
    const key = unique("top");
    const cred = await admin().create(`/consumers/${c.id}/key-auth`, { key, tags: [key] });
    const list = await admin().get(`/key-auths?tags=${key}`);
    expect(list).toMatchObject({ status: 200, body: { data: [cred], next: null } });
    expect(await admin().get(`/key-auths/${cred.id}`)).toMatchObject({ status: 200, body: cred });
    expect(await admin().get(`/key-auths/${key}`)).toMatchObject({ status: 200, body: cred });
    expect(await admin().get(`/key-auths/${key}/consumer`)).toMatchObject({ status: 200, body: c });
    expect(await admin().get("/key-auths/no-such-key")).toMatchObject({ status: 404, body: NOT_FOUND });
    expect((await admin().get("/key-auths/no-such-key/consumer")).status).toBe(404);
    const acl = await admin().create(`/consumers/${c.id}/acls`, { group: "top-group", tags: [key] });
    expect((await admin().get(`/acls?tags=${key}`)).body.data).toEqual([acl]);
    expect((await admin().get(`/acls/${acl.id}/consumer`)).body).toEqual(c);
  });

  it("POST needs a consumer, PUT creates by key, PATCH and DELETE", async () => {
    const missing = await admin().post("/key-auths", { key: unique("k") });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe("schema violation (consumer: required field missing)");

    const c = await consumer();
    let r = await admin().post("/key-auths", { key: unique("k"), consumer: { id: c.id } });
    expect(r.status).toBe(201);
    expect(r.body.consumer).toEqual({ id: c.id });
    const key = unique("k");
    r = await admin().put(`/key-auths/${key}`, { consumer: { id: c.id } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ key, consumer: { id: c.id } });
    r = await admin().patch(`/key-auths/${key}`, { tags: ["x"] });
    expect(r).toMatchObject({ status: 200, body: { key, tags: ["x"] } });
    expect((await admin().delete(`/key-auths/${key}`)).status).toBe(204);
    expect((await admin().get(`/key-auths/${key}`)).status).toBe(404);

    // the consumer's id salts the hash
    const b = await admin().post("/basic-auths", {
      username: unique("b"),
      password: "pw",
      consumer: { id: c.id },
    });
    expect(b.status).toBe(201);
    expect(b.body.password).toBe(sha1(`pw${c.id}`));
    const jwt = await admin().post("/jwts", { consumer: { id: c.id } });
    expect(jwt.status).toBe(201);
    expect(jwt.body.key).toMatch(/^[0-9a-f]{32}$/);
  });
});

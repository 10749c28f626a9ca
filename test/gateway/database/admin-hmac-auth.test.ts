/**
 * hmac-auth credentials in database mode on a real PostgreSQL, as Kong 3.x answers
 * (spec/03-plugins/19-hmac-auth/02-api_spec.lua re-expressed): /consumers/{c}/hmac-auth created
 * (a secret generated when left out), listed, read by id and username, patched, upserted and
 * deleted; /hmac-auths and /hmac-auths/{c}/consumer; usernames unique across consumers; and a
 * credential signing requests on the proxy from its creation until its deletion.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { adminPerFile, type Json, unique } from "./_admin.js";

const bed = adminPerFile();
const admin = () => bed.admin();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const consumer = (username = unique("user")) => admin().create("/consumers", { username });

describe("/consumers/{consumer}/hmac-auth", () => {
  it("creates a credential (tags kept, a secret generated when left out); 400 without username", async () => {
    const c = await consumer();
    const username = unique("hmac");
    let r = await admin().post(`/consumers/${c.id}/hmac-auth`, {
      username,
      secret: "s3cret",
      tags: ["t1", "t2"],
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.stringMatching(UUID),
      created_at: expect.any(Number),
      consumer: { id: c.id },
      username,
      secret: "s3cret",
      tags: ["t1", "t2"],
    });
    r = await admin().post(`/consumers/${c.id}/hmac-auth`, { username: unique("gen") });
    expect(r.status).toBe(201);
    expect(r.body.secret).toMatch(/^[0-9a-f]{32}$/);
    r = await admin().post(`/consumers/${c.id}/hmac-auth`, {});
    expect(r.status).toBe(400);
    expect(r.body.fields).toEqual({ username: "required field missing" });
    r = await admin().post(`/consumers/${c.id}/hmac-auth`, { username: unique("x"), secret: 123 });
    expect(r.status).toBe(400);
    expect(r.body.fields).toEqual({ secret: "expected a string" });
  });

  it("a username is unique across consumers: 409", async () => {
    const username = unique("taken");
    await admin().create(`/consumers/${(await consumer()).id}/hmac-auth`, { username });
    const r = await admin().post(`/consumers/${(await consumer()).id}/hmac-auth`, { username });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 5, fields: { username } });
  });

  it("lists, reads by id and by username, patches, upserts and deletes", async () => {
    const c = await consumer();
    const cred = await admin().create(`/consumers/${c.id}/hmac-auth`, { username: unique("bob") });
    const list = (await admin().get(`/consumers/${c.id}/hmac-auth`)).body.data as Json[];
    expect(list.map((x) => x.id)).toEqual([cred.id]);
    expect((await admin().get(`/consumers/${c.id}/hmac-auth/${cred.id}`)).body.id).toBe(cred.id);
    expect((await admin().get(`/consumers/${c.id}/hmac-auth/${cred.username}`)).body.id).toBe(cred.id);
    const renamed = unique("alice");
    let r = await admin().patch(`/consumers/${c.id}/hmac-auth/${cred.id}`, { username: renamed });
    expect([r.status, r.body.username, r.body.secret]).toEqual([200, renamed, cred.secret]);
    r = await admin().patch(`/consumers/${c.id}/hmac-auth/${renamed}`, { username: "" });
    expect(r.status).toBe(400);
    expect(r.body.fields).toEqual({ username: "length must be at least 1" });
    const put = unique("foo");
    r = await admin().put(`/consumers/${c.id}/hmac-auth/${put}`, {});
    expect([r.status, r.body.username, r.body.consumer]).toEqual([200, put, { id: c.id }]);
    expect((await admin().delete(`/consumers/${c.id}/hmac-auth/${cred.id}`)).status).toBe(204);
    expect((await admin().delete(`/consumers/${c.id}/hmac-auth/${cred.id}`)).status).toBe(404);
    expect((await admin().get(`/consumers/${c.id}/hmac-auth/${cred.id}`)).status).toBe(404);
  });

  it("/hmac-auths lists every credential; /hmac-auths/{username}/consumer is its consumer", async () => {
    const c = await consumer();
    const username = unique("top");
    await admin().create(`/consumers/${c.id}/hmac-auth`, { username });
    const all = (await admin().get("/hmac-auths")).body.data as Json[];
    expect(all.map((x) => x.username)).toContain(username);
    expect((await admin().get(`/hmac-auths/${username}`)).body.username).toBe(username);
    expect((await admin().get(`/hmac-auths/${username}/consumer`)).body.id).toBe(c.id);
    const r = await admin().post("/hmac-auths", { username: unique("orphan") });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe("schema violation (consumer: required field missing)");
  });

  it("signs requests on the proxy from its creation until its deletion", async () => {
    const up = bed.upstream();
    const path = `/${unique("signed")}`;
    const s = await admin().create("/services", { url: up.url });
    const route = await admin().create(`/services/${s.id}/routes`, { paths: [path] });
    await admin().create(`/routes/${route.id}/plugins`, { name: "hmac-auth" });
    const c = await consumer();
    const username = unique("signer");
    const date = new Date().toUTCString();
    const signed = (secret: string) => ({
      date,
      authorization: `hmac username="${username}", algorithm="hmac-sha256", headers="date request-line", signature="${createHmac("sha256", secret).update(`date: ${date}\nGET ${path} HTTP/1.1`).digest("base64")}"`,
    });
    expect((await bed.proxy(path, signed("k"))).status).toBe(401);
    const cred = await admin().create(`/consumers/${c.id}/hmac-auth`, { username, secret: "k" });
    expect((await bed.proxy(path, signed("k"))).status).toBe(200);
    expect((await bed.proxy(path, signed("other"))).status).toBe(401);
    expect((await admin().delete(`/consumers/${c.id}/hmac-auth/${cred.id}`)).status).toBe(204);
    expect((await bed.proxy(path, signed("k"))).status).toBe(401);
  });

  it("deleting the consumer deletes its credentials", async () => {
    const c = await consumer();
    const username = unique("gone");
    await admin().create(`/consumers/${c.id}/hmac-auth`, { username });
    expect((await admin().delete(`/consumers/${c.id}`)).status).toBe(204);
    expect((await admin().get(`/hmac-auths/${username}`)).status).toBe(404);
  });
});

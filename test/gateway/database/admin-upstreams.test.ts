/**
 * /upstreams and /upstreams/{upstream}/targets in database mode on a real PostgreSQL, as Kong
 * 3.x answers them (spec/02-integration/04-admin_api/07-upstreams_routes_spec.lua and
 * 08-targets_routes_spec.lua re-expressed): upstreams with Kong's defaults, a dotted
 * `healthchecks.active.healthy.interval=5` PATCH, PUT upserts, targets with their default port
 * and weight, read/patch/put/delete by id and by target, 405 on the target collection, DELETE of
 * an upstream removing its targets, and the proxy balancing to the targets as they are written.
 */
import { describe, expect, it } from "vitest";
import { replyWith, startEchoUpstream } from "../../support/gateway.js";
import { adminPerFile, type Json, NOT_FOUND, schemaViolation, unique } from "./_admin.js";

const bed = adminPerFile();
const admin = () => bed.admin();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = "7b9d3f4e-1c2a-4b5d-8e6f-0a1b2c3d4e5f";

const upstream = (extra: object = {}) => admin().create("/upstreams", { name: unique("up"), ...extra });

describe("/upstreams", () => {
  it("creates an upstream with Kong's defaults", async () => {
    const name = unique("my-upstream");
    const r = await admin().post("/upstreams", { name });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      id: expect.stringMatching(UUID),
      created_at: expect.any(Number),
      updated_at: expect.any(Number),
      name,
      algorithm: "round-robin",
      hash_on: "none",
      hash_fallback: "none",
      hash_on_cookie_path: "/",
      slots: 10000,
      tags: null,
      use_srv_name: false,
      client_certificate: null,
    });
    const active = (r.body.healthchecks as { active: Record<string, unknown> }).active;
    expect(active).toMatchObject({ type: "http", http_path: "/", timeout: 1, concurrency: 10 });
    expect(active.healthy).toMatchObject({ interval: 0, successes: 0 });
  });

  it("answers 400 for a missing or bad name, bad slots and hash_on; 409 for a taken name", async () => {
    let r = await admin().post("/upstreams", {});
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (name: required field missing)", { name: "required field missing" }),
    );
    r = await admin().form("POST", "/upstreams", `name=${unique("u")}&slots=2`);
    expect(r.status).toBe(400);
    expect(r.body.fields).toEqual({ slots: "value should be between 10 and 65536" });
    r = await admin().post("/upstreams", { name: unique("u"), hash_on: "something that is invalid" });
    expect(r.status).toBe(400);
    expect(r.body.fields).toEqual({
      hash_on: "expected one of: none, consumer, ip, header, cookie, path, query_arg, uri_capture",
    });
    const name = unique("taken");
    await upstream({ name });
    r = await admin().post("/upstreams", { name });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 5, fields: { name } });
  });

  it("creates with cookie and header hashing; refuses Kong's invalid hashing combinations", async () => {
    let r = await admin().form(
      "POST",
      "/upstreams",
      `name=${unique("u")}&hash_on=cookie&hash_on_cookie=CookieName1&hash_on_cookie_path=/foo`,
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      hash_on: "cookie",
      hash_on_cookie: "CookieName1",
      hash_on_cookie_path: "/foo",
    });
    r = await admin().post("/upstreams", {
      name: unique("u"),
      slots: 10,
      hash_on: "header",
      hash_fallback: "header",
      hash_on_header: "HeaderName1",
      hash_fallback_header: "HeaderName2",
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      slots: 10,
      hash_on_header: "HeaderName1",
      hash_fallback_header: "HeaderName2",
    });

    const refused = async (body: object) => {
      const res = await admin().post("/upstreams", { name: unique("u"), ...body });
      expect(res.status).toBe(400);
      expect(res.body.name).toBe("schema violation");
      return res.body.fields as Json;
    };
    const onHashOn = ["failed conditional validation given value of field 'hash_on'"];
    expect(await refused({ hash_on: "consumer", hash_fallback: "consumer" })).toEqual({
      "@entity": onHashOn,
      hash_fallback: "expected one of: none, ip, header, cookie, path, query_arg, uri_capture",
    });
    expect(
      await refused({
        hash_on: "header",
        hash_fallback: "header",
        hash_on_header: "h",
        hash_fallback_header: "h",
      }),
    ).toEqual({
      "@entity": ["values of these fields must be distinct: 'hash_on_header', 'hash_fallback_header'"],
    });
    expect(
      await refused({
        hash_on: "cookie",
        hash_on_cookie: "c",
        hash_fallback: "header",
        hash_fallback_header: "H",
      }),
    ).toEqual({ "@entity": onHashOn, hash_fallback: "expected one of: none" });
    expect(await refused({ hash_on: "header", hash_fallback: "header", hash_fallback_header: "H" })).toEqual({
      "@entity": onHashOn,
      hash_on_header: "required field missing",
    });
    expect(await refused({ hash_on: "consumer", hash_fallback: "header" })).toEqual({
      "@entity": ["failed conditional validation given value of field 'hash_fallback'"],
      hash_fallback_header: "required field missing",
    });
    expect(
      (await refused({ hash_on: "header", hash_on_header: "not a <> valid <> header name" })).hash_on_header,
    ).toBe(
      "bad header name 'not a <> valid <> header name', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
    );
  });

  it("reads by id and by name; PATCHes dotted healthcheck keys, other defaults kept", async () => {
    const u = await upstream();
    expect(await admin().get(`/upstreams/${u.id}`)).toMatchObject({ status: 200, body: u });
    expect(await admin().get(`/upstreams/${u.name}`)).toMatchObject({ status: 200, body: u });
    expect(await admin().get(`/upstreams/${MISSING}`)).toMatchObject({ status: 404, body: NOT_FOUND });

    const r = await admin().form(
      "PATCH",
      `/upstreams/${u.name}`,
      "healthchecks.active.healthy.interval=5&healthchecks.active.unhealthy.http_failures=2&algorithm=least-connections",
    );
    expect(r.status).toBe(200);
    expect(r.body.algorithm).toBe("least-connections");
    const active = (r.body.healthchecks as { active: Record<string, Record<string, unknown>> }).active;
    expect(active.healthy).toMatchObject({ interval: 5, successes: 0 });
    expect(active.unhealthy).toMatchObject({ http_failures: 2, tcp_failures: 0 });
    expect(active.http_path).toBe("/");
    expect((await admin().get(`/upstreams/${u.id}`)).body).toEqual(r.body);
  });

  it("PUT creates by name and replaces", async () => {
    const name = unique("put-up");
    let r = await admin().put(`/upstreams/${name}`, { slots: 100 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name, slots: 100 });
    r = await admin().put(`/upstreams/${name}`, {});
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name, slots: 10000 });
  });

  it("DELETE removes its targets; 204 for a missing one", async () => {
    const u = await upstream();
    const t = await admin().create(`/upstreams/${u.id}/targets`, { target: "10.0.0.1:80" });
    expect((await admin().delete(`/upstreams/${u.name}`)).status).toBe(204);
    expect((await admin().get(`/upstreams/${u.id}`)).status).toBe(404);
    // the same id comes back empty: its old target went with the upstream
    const again = await admin().put(`/upstreams/${u.id}`, { name: u.name });
    expect(again.status).toBe(200);
    expect((await admin().get(`/upstreams/${u.id}/targets`)).body).toEqual({ data: [], next: null });
    expect((await admin().get(`/upstreams/${u.id}/targets/${t.id}`)).status).toBe(404);
    expect((await admin().delete(`/upstreams/${MISSING}`)).status).toBe(204);
  });
});

describe("/upstreams/{upstream}/targets", () => {
  it("creates a target with the default port and weight; lists; reads by id and by target", async () => {
    const u = await upstream();
    const r = await admin().form("POST", `/upstreams/${u.name}/targets/`, "target=konghq.test");
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      id: expect.stringMatching(UUID),
      created_at: expect.any(Number),
      upstream: { id: u.id },
      target: "konghq.test:8000",
      weight: 100,
      tags: null,
    });
    const zero = await admin().post(`/upstreams/${u.id}/targets`, {
      target: "zero.weight.test:8080",
      weight: 0,
    });
    expect(zero.status).toBe(201);
    expect(zero.body.weight).toBe(0);
    expect(await admin().get(`/upstreams/${u.id}/targets/zero.weight.test:8080`)).toMatchObject({
      status: 200,
      body: zero.body,
    });
    expect(await admin().get(`/upstreams/${u.id}/targets/${r.body.id}`)).toMatchObject({
      status: 200,
      body: r.body,
    });
    const list = await admin().get(`/upstreams/${u.id}/targets`);
    // Kong pages by primary key, not by creation: compared as a set
    expect(list.body.next).toBeNull();
    expect(list.body.data).toHaveLength(2);
    expect(list.body.data).toEqual(expect.arrayContaining([r.body, zero.body]));
    expect((await admin().get(`/upstreams/${u.id}/targets/all`)).body).toEqual(list.body);
    expect((await admin().get(`/upstreams/${u.id}/targets/1.2.3.4:80`)).status).toBe(404);
  });

  it("answers 400 for a missing or invalid target and weight; 404 under a missing upstream", async () => {
    const u = await upstream();
    let r = await admin().post(`/upstreams/${u.id}/targets`, { weight: 0 });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ name: "schema violation", fields: { target: "required field missing" } });
    r = await admin().form("POST", `/upstreams/${u.id}/targets`, "target=some invalid host name");
    expect(r.status).toBe(400);
    expect(r.body.fields).toEqual({
      target: "Invalid target ('some invalid host name'); not a valid hostname or ip address",
    });
    r = await admin().form("POST", `/upstreams/${u.id}/targets`, "target=konghq.test&weight=65536");
    expect(r.status).toBe(400);
    expect(r.body.fields).toEqual({ weight: "value should be between 0 and 65535" });
    expect((await admin().post(`/upstreams/${MISSING}/targets`, { target: "a.test" })).status).toBe(404);
    expect((await admin().get(`/upstreams/${MISSING}/targets`)).status).toBe(404);
  });

  it("answers 405 for PUT, PATCH and DELETE on the collection", async () => {
    const u = await upstream();
    for (const method of ["PUT", "PATCH", "DELETE"]) {
      const r = await admin().send(method, `/upstreams/${u.id}/targets`, { target: "a.test" });
      expect(r.status).toBe(405);
      expect(r.body).toEqual({ message: "Method not allowed" });
    }
  });

  it("answers 409 for the same target twice on one upstream", async () => {
    const u = await upstream();
    await admin().create(`/upstreams/${u.id}/targets`, { target: "10.1.1.1:80" });
    const r = await admin().post(`/upstreams/${u.id}/targets`, { target: "10.1.1.1:80" });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 5, name: "unique constraint violation" });
    const other = await upstream();
    expect((await admin().post(`/upstreams/${other.id}/targets`, { target: "10.1.1.1:80" })).status).toBe(
      201,
    );
  });

  it("PATCH and PUT update by target and by id; DELETE by target and by id", async () => {
    const u = await upstream();
    const a = await admin().create(`/upstreams/${u.id}/targets`, { target: "api-1:80", weight: 10 });
    const b = await admin().create(`/upstreams/${u.id}/targets`, { target: "api-2:80", weight: 10 });
    let r = await admin().patch(`/upstreams/${u.name}/targets/api-2:80`, { weight: 659 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: b.id, target: "api-2:80", weight: 659 });

    r = await admin().put(`/upstreams/${u.name}/targets/api-2:80`, { target: "api-2:801" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: b.id, target: "api-2:801" });
    expect((await admin().get(`/upstreams/${u.id}/targets/api-2:80`)).status).toBe(404);
    r = await admin().put(`/upstreams/${u.id}/targets/${a.id}`, { target: "api-1:81" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: a.id, target: "api-1:81", weight: 10 });

    expect((await admin().delete(`/upstreams/${u.id}/targets/api-2:801`)).status).toBe(204);
    expect((await admin().delete(`/upstreams/${u.id}/targets/${a.id}`)).status).toBe(204);
    expect((await admin().get(`/upstreams/${u.id}/targets/all`)).body).toEqual({ data: [], next: null });
    expect((await admin().patch(`/upstreams/${u.id}/targets/${a.id}`, { weight: 1 })).status).toBe(404);
  });
});

describe("writes serve at once", () => {
  it("a service on an upstream balances to the targets written, and fails once they are gone", async () => {
    const one = await startEchoUpstream({ handler: replyWith("one") });
    const two = await startEchoUpstream({ handler: replyWith("two") });
    try {
      const u = await upstream();
      const s = await admin().create("/services", { host: u.name, port: 80 });
      const path = `/${unique("balanced")}`;
      await admin().create(`/services/${s.id}/routes`, { paths: [path] });
      const t1 = await admin().create(`/upstreams/${u.id}/targets`, { target: `127.0.0.1:${one.port}` });
      expect(await bed.proxy(path)).toEqual({ status: 200, text: "one" });

      await admin().create(`/upstreams/${u.id}/targets`, { target: `127.0.0.1:${two.port}` });
      await admin().delete(`/upstreams/${u.id}/targets/${t1.id}`);
      expect(await bed.proxy(path)).toEqual({ status: 200, text: "two" });

      // no upstream of that name any more: the service's host is looked up in DNS, and fails
      await admin().delete(`/upstreams/${u.id}`);
      const gone = await bed.proxy(path);
      expect(gone.status).toBe(503);
      expect(JSON.parse(gone.text).message).toBe("name resolution failed");
    } finally {
      await one.close();
      await two.close();
    }
  });
});

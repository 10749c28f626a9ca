/**
 * /routes in database mode on a real PostgreSQL, as Kong 3.x answers it
 * (spec/02-integration/04-admin_api/09-routes_routes_spec.lua and 17-foreign-entity_spec.lua
 * re-expressed): create with Kong's defaults, a service by id or by name, reads, PATCH with
 * nulls and empty lists, PUT upserts, DELETE, the route's service through it, its plugins,
 * Kong's error bodies, and every write routing on the proxy before the Admin API answers.
 */
import { describe, expect, it } from "vitest";
import { adminPerFile, NOT_FOUND, schemaViolation, unique } from "./_admin.js";

const bed = adminPerFile();
const admin = () => bed.admin();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = "7b9d3f4e-1c2a-4b5d-8e6f-0a1b2c3d4e5f";
const PROTOCOLS = "expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp";

const service = (extra: object = {}) => admin().create("/services", { host: "a.test", ...extra });

describe("POST /routes", () => {
  it("creates a route with Kong's defaults", async () => {
    const s = await service();
    const r = await admin().post("/routes", {
      protocols: ["http"],
      hosts: ["my.route.test"],
      headers: { location: ["my-location"] },
      service: { id: s.id },
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.stringMatching(UUID),
      created_at: expect.any(Number),
      updated_at: expect.any(Number),
      name: null,
      service: { id: s.id },
      protocols: ["http"],
      methods: null,
      hosts: ["my.route.test"],
      paths: null,
      headers: { location: ["my-location"] },
      snis: null,
      sources: null,
      destinations: null,
      strip_path: true,
      preserve_host: false,
      regex_priority: 0,
      path_handling: "v0",
      https_redirect_status_code: 426,
      request_buffering: true,
      response_buffering: true,
      tags: null,
    });
  });

  it("creates a route without a service, protocols defaulting to http and https", async () => {
    const r = await admin().post("/routes", { paths: ["/no-service"] });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ service: null, protocols: ["http", "https"], paths: ["/no-service"] });
  });

  it("takes a service by name", async () => {
    const name = unique("svc");
    const s = await service({ name });
    const r = await admin().post("/routes", { paths: [`/${unique("p")}`], service: { name } });
    expect(r.status).toBe(201);
    expect(r.body.service).toEqual({ id: s.id });
  });

  it("decodes url-encoded and multipart forms by the route's schema", async () => {
    const s = await service();
    const path = `/${unique("p")}`;
    let r = await admin().form(
      "POST",
      "/routes",
      `paths[]=${path}&paths[]=${path}-2&methods=GET&methods=POST&strip_path=false&regex_priority=3&service.id=${s.id}&headers.x-v=1`,
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      paths: [path, `${path}-2`],
      methods: ["GET", "POST"],
      strip_path: false,
      regex_priority: 3,
      service: { id: s.id },
      headers: { "x-v": ["1"] },
    });
    r = await admin().multipart("POST", "/routes", [
      ["hosts", "one.test"],
      ["preserve_host", "true"],
      ["service.id", s.id as string],
    ]);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ hosts: ["one.test"], preserve_host: true, service: { id: s.id } });
  });

  it("answers 400 schema violations as Kong words them", async () => {
    let r = await admin().post("/routes", {});
    expect(r.status).toBe(400);
    const https =
      "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'";
    expect(r.body).toEqual(schemaViolation(`schema violation (${https})`, { "@entity": [https] }));

    r = await admin().post("/routes", { methods: ["GET"], protocols: ["foo", "http"] });
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation(`schema violation (protocols.1: ${PROTOCOLS})`, { protocols: [PROTOCOLS] }),
    );

    r = await admin().form("POST", "/routes", "paths[]=/x&regex_priority=foo");
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (regex_priority: expected an integer)", {
        regex_priority: "expected an integer",
      }),
    );
  });

  it("creates a grpc route and refuses Kong's invalid grpc routes", async () => {
    const s = await service();
    const r = await admin().post("/routes", {
      protocols: ["grpc", "grpcs"],
      hosts: ["my.route.test"],
      service: { id: s.id },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ protocols: ["grpc", "grpcs"], hosts: ["my.route.test"], paths: null });

    let bad = await admin().post("/routes", { protocols: ["grpc", "grpcs"] });
    const grpcs = "must set one of 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'grpcs'";
    expect(bad).toMatchObject({
      status: 400,
      body: schemaViolation(`schema violation (${grpcs})`, { "@entity": [grpcs] }),
    });
    bad = await admin().post("/routes", { protocols: ["grpc", "grpcs"], paths: ["/"], methods: ["GET"] });
    const methods = "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'";
    expect(bad.body).toEqual(schemaViolation(`schema violation (methods: ${methods})`, { methods }));
  });

  it("answers 400 foreign key violation for a missing service", async () => {
    const r = await admin().post("/routes", { paths: ["/x"], service: { id: MISSING } });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      code: 4,
      name: "foreign key violation",
      message: `the foreign key '{id="${MISSING}"}' does not reference an existing 'services' entity.`,
      fields: { service: { id: MISSING } },
    });
  });

  it("answers 400 foreign keys unresolved for a service name that does not exist", async () => {
    const r = await admin().post("/routes", { methods: ["GET"], service: { name: "non-existing" } });
    expect(r.status).toBe(400);
    const why = `the foreign key cannot be resolved with '{name="non-existing"}' for an existing 'services' entity`;
    expect(r.body).toEqual({
      code: 13,
      name: "foreign keys unresolved",
      message: `foreign key unresolved (service.name: ${why})`,
      fields: { service: { name: why } },
    });
  });

  it("answers 409 for a taken name", async () => {
    const name = unique("route");
    await admin().create("/routes", { name, paths: ["/x"] });
    const r = await admin().post("/routes", { name, paths: ["/y"] });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({
      code: 5,
      name: "unique constraint violation",
      message: `UNIQUE violation detected on '{name="${name}"}'`,
      fields: { name },
    });
  });
});

describe("GET /routes", () => {
  it("reads by id and by name; 404 for a missing one", async () => {
    const name = unique("route");
    const route = await admin().create("/routes", { name, paths: ["/x"] });
    expect(await admin().get(`/routes/${route.id}`)).toMatchObject({ status: 200, body: route });
    expect(await admin().get(`/routes/${name}`)).toMatchObject({ status: 200, body: route });
    expect(await admin().get(`/routes/${MISSING}`)).toMatchObject({ status: 404, body: NOT_FOUND });
    expect(await admin().get("/routes/no-such-route")).toMatchObject({ status: 404, body: NOT_FOUND });
  });

  it("answers 405 for a method Kong has no endpoint for", async () => {
    const r = await admin().send("PATCH", "/routes", { paths: ["/x"] });
    expect(r.status).toBe(405);
    expect(r.body).toEqual({ message: "Method not allowed" });
  });
});

describe("PUT /routes/{route}", () => {
  it("creates with the path's id, then replaces (unset fields back to their defaults)", async () => {
    const s = await service();
    const id = "5c8f0a6e-2b3d-4e1f-9a7b-6c5d4e3f2a10";
    let r = await admin().put(`/routes/${id}`, { paths: ["/updated-paths"], service: { id: s.id } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id,
      paths: ["/updated-paths"],
      hosts: null,
      methods: null,
      service: { id: s.id },
    });
    r = await admin().put(`/routes/${id}`, { hosts: ["h.test"] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, paths: null, hosts: ["h.test"], service: null });
    expect((await admin().get(`/routes/${id}`)).body).toEqual(r.body);
  });

  it("creates and updates by name", async () => {
    const name = unique("route");
    let r = await admin().put(`/routes/${name}`, { paths: ["/a"] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name, paths: ["/a"] });
    const id = r.body.id;
    r = await admin().form("PUT", `/routes/${name}`, "paths[]=/b&strip_path=false");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, name, paths: ["/b"], strip_path: false });
  });

  it("answers 400 for an invalid body", async () => {
    const r = await admin().put(`/routes/${unique("route")}`, { regex_priority: "foo", paths: ["/x"] });
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (regex_priority: expected an integer)", {
        regex_priority: "expected an integer",
      }),
    );
  });
});

describe("PATCH /routes/{route}", () => {
  it("updates only what is given, by id and by name", async () => {
    const name = unique("route");
    const route = await admin().create("/routes", { name, paths: ["/my-route"], methods: ["GET"] });
    let r = await admin().patch(`/routes/${route.id}`, { hosts: ["my-updated.test"] });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...route, hosts: ["my-updated.test"], updated_at: expect.any(Number) });
    r = await admin().form("PATCH", `/routes/${name}`, "strip_path=false&regex_priority=7");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      strip_path: false,
      regex_priority: 7,
      hosts: ["my-updated.test"],
      paths: ["/my-route"],
    });
  });

  it("removes fields with JSON null, takes empty lists as empty", async () => {
    const route = await admin().create("/routes", { paths: ["/my-route"], methods: ["GET"] });
    let r = await admin().patch(`/routes/${route.id}`, {
      methods: null,
      paths: null,
      hosts: ["my-updated.test"],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ methods: null, paths: null, hosts: ["my-updated.test"] });
    r = await admin().patch(`/routes/${route.id}`, { methods: [], paths: [] });
    expect(r.status).toBe(200);
    expect(r.text).toContain('"methods":[]');
    expect(r.text).toContain('"paths":[]');
  });

  it("removes the service association", async () => {
    const s = await service();
    const route = await admin().create("/routes", { paths: ["/a"], service: { id: s.id } });
    const r = await admin().patch(`/routes/${route.id}`, { service: null });
    expect(r.status).toBe(200);
    expect(r.body.service).toBeNull();
  });

  it("answers 404 for a missing route and 400 for an invalid body", async () => {
    expect((await admin().patch(`/routes/${MISSING}`, { paths: ["/x"] })).status).toBe(404);
    expect((await admin().patch("/routes/no-such-route", { paths: ["/x"] })).status).toBe(404);
    const route = await admin().create("/routes", { paths: ["/a"] });
    const r = await admin().form("PATCH", `/routes/${route.id}`, "regex_priority=foo");
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (regex_priority: expected an integer)", {
        regex_priority: "expected an integer",
      }),
    );
  });
});

describe("DELETE /routes/{route}", () => {
  it("deletes by id and by name, 204 for a missing one; the route's plugins go with it", async () => {
    const name = unique("route");
    const a = await admin().create("/routes", { paths: ["/a"] });
    await admin().create("/routes", { name, paths: ["/b"] });
    const plugin = await admin().create(`/routes/${a.id}/plugins`, { name: "cors" });
    expect((await admin().delete(`/routes/${a.id}`)).status).toBe(204);
    expect((await admin().get(`/routes/${a.id}`)).status).toBe(404);
    expect((await admin().get(`/plugins/${plugin.id}`)).status).toBe(404);
    expect((await admin().delete(`/routes/${name}`)).status).toBe(204);
    expect((await admin().get(`/routes/${name}`)).status).toBe(404);
    expect((await admin().delete(`/routes/${MISSING}`)).status).toBe(204);
  });
});

describe("/services/{service}/routes/{route}", () => {
  it("reads, patches and deletes a route through its service; 404 through another one", async () => {
    const s = await service({ name: unique("svc") });
    const other = await service();
    const name = unique("route");
    const route = await admin().create(`/services/${s.name}/routes`, { name, paths: ["/nested"] });
    expect(await admin().get(`/services/${s.id}/routes/${name}`)).toMatchObject({ status: 200, body: route });
    expect(await admin().get(`/services/${other.id}/routes/${route.id}`)).toMatchObject({
      status: 404,
      body: NOT_FOUND,
    });

    // the parent of the path wins over a service in the body, as in Kong
    const r = await admin().patch(`/services/${s.id}/routes/${route.id}`, {
      hosts: ["n.test"],
      service: { id: other.id },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ hosts: ["n.test"], service: { id: s.id } });
    expect(
      (await admin().patch(`/services/${other.id}/routes/${route.id}`, { hosts: ["x.test"] })).status,
    ).toBe(404);

    expect((await admin().delete(`/services/${other.id}/routes/${route.id}`)).status).toBe(404);
    expect((await admin().delete(`/services/${s.id}/routes/${name}`)).status).toBe(204);
    expect((await admin().get(`/routes/${route.id}`)).status).toBe(404);
  });
});

describe("/routes/{route}/service", () => {
  it("is 404 for a route without a service", async () => {
    const route = await admin().create("/routes", { paths: ["/lonely"] });
    expect(await admin().get(`/routes/${route.id}/service`)).toMatchObject({ status: 404, body: NOT_FOUND });
    expect((await admin().patch(`/routes/${route.id}/service`, { host: "x.test" })).status).toBe(404);
  });

  it("reads and patches the route's service; DELETE is 405; 404 for a missing route", async () => {
    const s = await service({ name: unique("svc") });
    const route = await admin().create("/routes", { paths: ["/a"], service: { id: s.id } });
    expect(await admin().get(`/routes/${route.id}/service`)).toMatchObject({ status: 200, body: s });
    const r = await admin().patch(`/routes/${route.id}/service`, { url: "https://b.test/p" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: s.id, protocol: "https", host: "b.test", port: 443, path: "/p" });
    expect((await admin().get(`/services/${s.id}`)).body).toEqual(r.body);

    const del = await admin().delete(`/routes/${route.id}/service`);
    expect(del).toMatchObject({ status: 405, body: { message: "Method not allowed" } });
    expect((await admin().get(`/routes/${MISSING}/service`)).status).toBe(404);
    expect((await admin().patch(`/routes/${MISSING}/service`, { host: "x.test" })).status).toBe(404);
  });

  it("PUT creates the service of a route without one and associates it", async () => {
    const route = await admin().create("/routes", { paths: ["/a"] });
    const r = await admin().put(`/routes/${route.id}/service`, { url: "http://konghq.test" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ host: "konghq.test" });
    expect((await admin().get(`/routes/${route.id}`)).body.service).toEqual({ id: r.body.id });
    const again = await admin().put(`/routes/${route.id}/service`, { url: "http://other.test" });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: r.body.id, host: "other.test" });
  });
});

describe("/routes/{route}/plugins", () => {
  it("creates, lists, reads and deletes a route's plugins", async () => {
    const name = unique("route");
    const route = await admin().create("/routes", { name, paths: ["/a"] });
    const r = await admin().form(
      "POST",
      `/routes/${name}/plugins`,
      "name=key-auth&config.key_names[]=apikey&config.key_names[]=key",
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: "key-auth",
      route: { id: route.id },
      service: null,
      consumer: null,
    });
    expect((r.body.config as { key_names: unknown }).key_names).toEqual(["apikey", "key"]);
    expect(await admin().get(`/routes/${route.id}/plugins`)).toMatchObject({
      status: 200,
      body: { data: [r.body], next: null },
    });
    expect(await admin().get(`/routes/${name}/plugins/${r.body.id}`)).toMatchObject({
      status: 200,
      body: r.body,
    });
    expect((await admin().delete(`/routes/${route.id}/plugins/${r.body.id}`)).status).toBe(204);
    expect((await admin().get(`/routes/${route.id}/plugins/${r.body.id}`)).status).toBe(404);
    expect((await admin().delete(`/routes/${route.id}/plugins/${r.body.id}`)).status).toBe(404);
  });

  it("answers 409 for a second plugin of one name on a route", async () => {
    const route = await admin().create("/routes", { paths: ["/a"] });
    await admin().create(`/routes/${route.id}/plugins`, { name: "basic-auth" });
    const r = await admin().post(`/routes/${route.id}/plugins`, { name: "basic-auth" });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({
      code: 5,
      name: "unique constraint violation",
      message: `UNIQUE violation detected on '{consumer=null,name="basic-auth",route={id="${route.id}"},service=null}'`,
      fields: { consumer: null, name: "basic-auth", route: { id: route.id }, service: null },
    });
  });
});

describe("writes serve at once", () => {
  it("a route created, patched, re-pointed and deleted routes accordingly on the proxy", async () => {
    const up = bed.upstream();
    const s = await service({ url: `${up.url}/from-a` });
    const t = await service({ url: `${up.url}/from-b` });
    const path = `/${unique("live")}`;
    const route = await admin().create("/routes", { paths: [path], service: { id: s.id } });
    const p = await bed.proxy(`${path}/x`);
    expect(p.status).toBe(200);
    expect(JSON.parse(p.text).path).toBe("/from-a/x");

    expect((await admin().patch(`/routes/${route.id}`, { strip_path: false })).status).toBe(200);
    expect(JSON.parse((await bed.proxy(`${path}/x`)).text).path).toBe(`/from-a${path}/x`);

    await admin().patch(`/routes/${route.id}`, { service: { id: t.id }, strip_path: true });
    expect(JSON.parse((await bed.proxy(`${path}/x`)).text).path).toBe("/from-b/x");

    await admin().patch(`/routes/${route.id}`, { paths: [`${path}-moved`] });
    expect((await bed.proxy(`${path}/x`)).status).toBe(404);
    expect((await bed.proxy(`${path}-moved/x`)).status).toBe(200);

    await admin().delete(`/routes/${route.id}`);
    expect((await bed.proxy(`${path}-moved/x`)).status).toBe(404);
  });
});

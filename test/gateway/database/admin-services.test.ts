/**
 * /services in database mode on a real PostgreSQL, as Kong 3.x answers it
 * (spec/02-integration/04-admin_api/10-services_routes_spec.lua re-expressed): create with
 * Kong's defaults and timestamps, read by id and name, partial PATCH, PUT upserts, DELETE
 * (204 for a missing one too, 400 while routes reference it), Kong's error bodies, and every
 * write serving at once on the proxy.
 */
import { describe, expect, it } from "vitest";
import { adminPerFile, NOT_FOUND, schemaViolation, unique } from "./_admin.js";

const bed = adminPerFile();
const admin = () => bed.admin();

const MISSING_ROUTE = "7b9d3f4e-1c2a-4b5d-8e6f-0a1b2c3d4e5f";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("POST /services", () => {
  it("creates a service with Kong's defaults and timestamps", async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await admin().post("/services", { protocol: "http", host: "service.test" });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.stringMatching(UUID),
      created_at: expect.any(Number),
      updated_at: expect.any(Number),
      name: null,
      protocol: "http",
      host: "service.test",
      port: 80,
      path: null,
      retries: 5,
      connect_timeout: 60000,
      write_timeout: 60000,
      read_timeout: 60000,
      enabled: true,
      tags: null,
      client_certificate: null,
      tls_verify: null,
      tls_verify_depth: null,
      ca_certificates: null,
    });
    expect(r.body.created_at).toBeGreaterThanOrEqual(before);
    expect(r.body.updated_at).toBe(r.body.created_at);
  });

  it.each([
    ["JSON", (name: string) => admin().post("/services", { name, url: "http://service.test/" })],
    [
      "a url-encoded form",
      (name: string) => admin().form("POST", "/services", `name=${name}&url=http://service.test/`),
    ],
    [
      "a multipart form",
      (name: string) =>
        admin().multipart("POST", "/services", [
          ["name", name],
          ["url", "http://service.test/"],
        ]),
    ],
  ])("creates a service from a url sent as %s", async (_, send) => {
    const name = unique("svc");
    const r = await send(name);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name, protocol: "http", host: "service.test", port: 80, path: "/" });
  });

  it("takes port 443 from an https url", async () => {
    const r = await admin().post("/services", { url: "https://service.test/" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ protocol: "https", host: "service.test", port: 443, path: "/" });
  });

  it("coerces form values by the schema (numbers, booleans, tags[])", async () => {
    const r = await admin().form(
      "POST",
      "/services",
      "host=svc.test&port=8080&retries=2&enabled=false&tags[]=a&tags[]=b&connect_timeout=5",
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      port: 8080,
      retries: 2,
      enabled: false,
      tags: ["a", "b"],
      connect_timeout: 5,
    });
  });

  it("answers 400 with each missing or bad field named", async () => {
    let r = await admin().post("/services", {});
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (host: required field missing)", { host: "required field missing" }),
    );

    r = await admin().post("/services", { host: "example.test", protocol: "foo" });
    expect(r.status).toBe(400);
    expect(r.body.fields).toEqual({
      protocol: "expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp",
    });

    r = await admin().post("/services", { url: "invalid url" });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 2, fields: { host: "required field missing" } });

    r = await admin().form("POST", "/services", "host=svc.test&port=abc");
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (port: expected an integer)", { port: "expected an integer" }),
    );
  });

  it("answers 400 for an empty or blank url", async () => {
    expect((await admin().post("/services", { url: "" })).status).toBe(400);
    expect((await admin().post("/services", { url: " " })).status).toBe(400);
  });

  it("answers 400 for malformed JSON and 415 for an unknown body type", async () => {
    const r = await admin().send("POST", "/services", '{"hello": "world"', "application/json");
    expect(r.status).toBe(400);
    expect(r.text).toBe('{"message":"Cannot parse JSON body"}');
    expect((await admin().send("POST", "/services", "host=x", "text/plain")).status).toBe(415);
  });

  it("answers 409 unique constraint violation for a taken name", async () => {
    const name = unique("svc");
    await admin().create("/services", { name, host: "a.test" });
    const r = await admin().post("/services", { name, host: "b.test" });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({
      code: 5,
      name: "unique constraint violation",
      message: `UNIQUE violation detected on '{name="${name}"}'`,
      fields: { name },
    });
  });

  it("answers 400 primary key violation for a taken id", async () => {
    const s = await admin().create("/services", { host: "a.test" });
    const r = await admin().post("/services", { id: s.id, host: "b.test" });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      code: 3,
      name: "primary key violation",
      message: `primary key violation on key '{id="${s.id}"}'`,
      fields: { id: s.id },
    });
  });
});

describe("methods Kong has no endpoint for", () => {
  it("answers 405 Method not allowed", async () => {
    const s = await admin().create("/services", { host: "a.test" });
    for (const [method, path] of [
      ["PUT", "/services"],
      ["PATCH", "/services"],
      ["DELETE", "/services"],
      ["POST", `/services/${s.id}`],
      ["POST", `/services/${s.id}/routes/${MISSING_ROUTE}`],
    ] as const) {
      const r = await admin().send(method, path, { host: "x.test" });
      expect([method, path, r.status, r.body]).toEqual([
        method,
        path,
        405,
        { message: "Method not allowed" },
      ]);
    }
  });
});

describe("GET /services", () => {
  it("reads by id, by name and by percent-escaped utf-8 name; 404 otherwise", async () => {
    const name = unique("sérvice");
    const s = await admin().create("/services", { name, host: "a.test" });
    expect(await admin().get(`/services/${s.id}`)).toMatchObject({ status: 200, body: s });
    expect(await admin().get(`/services/${encodeURIComponent(name)}`)).toMatchObject({
      status: 200,
      body: s,
    });
    const missing = await admin().get("/services/7b9d3f4e-1c2a-4b5d-8e6f-0a1b2c3d4e5f");
    expect(missing).toMatchObject({ status: 404, body: NOT_FOUND });
    expect(await admin().get("/services/no-such-service")).toMatchObject({ status: 404, body: NOT_FOUND });
  });

  it("lists what was created", async () => {
    const s = await admin().create("/services", { name: unique("svc"), host: "a.test" });
    const r = await admin().get("/services?size=1000");
    expect(r.status).toBe(200);
    expect(r.body.next).toBeNull();
    expect(r.body.data).toContainEqual(s);
  });
});

describe("PATCH /services/{service}", () => {
  it("updates the given fields only, by id and by name; updated_at moves", async () => {
    const name = unique("svc");
    const s = await admin().create("/services", { name, host: "a.test", tags: ["t"] });
    await new Promise((r) => setTimeout(r, 1100));
    let r = await admin().patch(`/services/${s.id}`, { protocol: "https" });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...s, protocol: "https", updated_at: expect.any(Number) });
    expect(r.body.updated_at).toBeGreaterThan(s.updated_at as number);
    expect(r.body.created_at).toBe(s.created_at);

    r = await admin().form("PATCH", `/services/${name}`, "port=8443&retries=0");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: s.id, protocol: "https", port: 8443, retries: 0, host: "a.test" });
    expect((await admin().get(`/services/${s.id}`)).body).toEqual(r.body);
  });

  it("updates by url", async () => {
    const s = await admin().create("/services", { host: "a.test" });
    const r = await admin().patch(`/services/${s.id}`, { url: "https://b.test:8443/p" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ protocol: "https", host: "b.test", port: 8443, path: "/p" });
  });

  it("removes an optional field with a JSON null", async () => {
    const s = await admin().create("/services", { name: unique("svc"), host: "a.test", path: "/x" });
    const r = await admin().patch(`/services/${s.id}`, { path: null, name: null });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ path: null, name: null });
  });

  it("answers 404 for a missing service and 400 (nothing changed) for an invalid body", async () => {
    const id = "7b9d3f4e-1c2a-4b5d-8e6f-0a1b2c3d4e5f";
    const r404 = await admin().patch(`/services/${id}`, { protocol: "http" });
    expect(r404.status).toBe(404);
    expect((await admin().patch("/services/no-such-one", { protocol: "http" })).status).toBe(404);

    const s = await admin().create("/services", { host: "a.test" });
    const r = await admin().patch(`/services/${s.id}`, { connect_timeout: "foo" });
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (connect_timeout: expected an integer)", {
        connect_timeout: "expected an integer",
      }),
    );
    expect((await admin().get(`/services/${s.id}`)).body).toEqual(s);
  });
});

describe("PUT /services/{service}", () => {
  it("creates with the path's id (200), then replaces it (200, fields not given back to defaults)", async () => {
    const id = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
    let r = await admin().put(`/services/${id}`, { host: "a.test", retries: 1 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, host: "a.test", retries: 1, name: null });
    r = await admin().put(`/services/${id}`, { host: "b.test" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, host: "b.test", retries: 5 });
  });

  it("creates and replaces by name, the path's name written in", async () => {
    const name = unique("svc");
    let r = await admin().put(`/services/${name}`, { url: "http://a.test/" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name, host: "a.test" });
    const id = r.body.id;
    r = await admin().form("PUT", `/services/${name}`, "host=b.test&port=81");
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, name, host: "b.test", port: 81 });
  });

  it("answers 400 for an invalid body", async () => {
    const r = await admin().put(`/services/${unique("svc")}`, { connect_timeout: "foo" });
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation(
        "2 schema violations (connect_timeout: expected an integer; host: required field missing)",
        {
          connect_timeout: "expected an integer",
          host: "required field missing",
        },
      ),
    );
  });
});

describe("DELETE /services/{service}", () => {
  it("deletes by id and by name; 204 for a missing one", async () => {
    const a = await admin().create("/services", { host: "a.test" });
    const name = unique("svc");
    await admin().create("/services", { name, host: "a.test" });
    expect((await admin().delete(`/services/${a.id}`)).status).toBe(204);
    expect((await admin().get(`/services/${a.id}`)).status).toBe(404);
    expect((await admin().delete(`/services/${name}`)).status).toBe(204);
    expect((await admin().get(`/services/${name}`)).status).toBe(404);
    expect((await admin().delete(`/services/${a.id}`)).status).toBe(204);
    expect((await admin().delete("/services/never-was")).status).toBe(204);
  });

  it("refuses while a route references it (400, Kong's foreign key violation); its plugins go with it", async () => {
    const s = await admin().create("/services", { name: unique("svc"), host: "a.test" });
    const route = await admin().create(`/services/${s.id}/routes`, { paths: [`/${unique("p")}`] });
    const plugin = await admin().create(`/services/${s.id}/plugins`, { name: "cors" });
    const r = await admin().delete(`/services/${s.id}`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      code: 4,
      name: "foreign key violation",
      message: "an existing 'routes' entity references this 'services' entity",
      fields: { "@referenced_by": "routes" },
    });
    expect((await admin().get(`/services/${s.id}`)).status).toBe(200);

    expect((await admin().delete(`/routes/${route.id}`)).status).toBe(204);
    expect((await admin().delete(`/services/${s.id}`)).status).toBe(204);
    expect((await admin().get(`/plugins/${plugin.id}`)).status).toBe(404);
  });
});

describe("/services/{service}/routes and /plugins", () => {
  it("lists a service's routes and plugins, by id and by name; 404 under a missing service", async () => {
    const name = unique("svc");
    const s = await admin().create("/services", { name, host: "a.test" });
    const route = await admin().create(`/services/${name}/routes`, { paths: [`/${unique("p")}`] });
    expect(route.service).toEqual({ id: s.id });
    const plugin = await admin().create(`/services/${s.id}/plugins`, { name: "key-auth" });
    expect(plugin).toMatchObject({ service: { id: s.id }, route: null, consumer: null });
    expect((plugin.config as { key_names: string[] }).key_names).toEqual(["apikey"]);

    expect(await admin().get(`/services/${s.id}/routes`)).toMatchObject({
      status: 200,
      body: { data: [route], next: null },
    });
    expect(await admin().get(`/services/${name}/plugins`)).toMatchObject({
      status: 200,
      body: { data: [plugin], next: null },
    });
    expect((await admin().get("/services/no-such/routes")).status).toBe(404);
    expect((await admin().post("/services/no-such/routes", { paths: ["/x"] })).status).toBe(404);
  });

  it("answers 409 for a second plugin of one name on a service", async () => {
    const s = await admin().create("/services", { host: "a.test" });
    await admin().create(`/services/${s.id}/plugins`, { name: "basic-auth" });
    const r = await admin().form("POST", `/services/${s.id}/plugins`, "name=basic-auth");
    expect(r.status).toBe(409);
    expect(r.body).toEqual({
      code: 5,
      name: "unique constraint violation",
      message: `UNIQUE violation detected on '{consumer=null,name="basic-auth",route=null,service={id="${s.id}"}}'`,
      fields: { consumer: null, name: "basic-auth", route: null, service: { id: s.id } },
    });
  });

  it("answers 400 for a plugin without a name", async () => {
    const s = await admin().create("/services", { host: "a.test" });
    const r = await admin().post(`/services/${s.id}/plugins`, {});
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (name: required field missing)", { name: "required field missing" }),
    );
  });

  it("reads, patches and deletes a plugin through its service", async () => {
    const s = await admin().create("/services", { host: "a.test" });
    const plugin = await admin().create(`/services/${s.id}/plugins`, { name: "key-auth" });
    expect(await admin().get(`/services/${s.id}/plugins/${plugin.id}`)).toMatchObject({
      status: 200,
      body: plugin,
    });
    const other = await admin().create("/services", { host: "a.test" });
    expect(await admin().get(`/services/${other.id}/plugins/${plugin.id}`)).toMatchObject({
      status: 404,
      body: NOT_FOUND,
    });
    const r = await admin().form(
      "PATCH",
      `/services/${s.id}/plugins/${plugin.id}`,
      "config.key_names=testkey",
    );
    expect(r.status).toBe(200);
    expect((r.body.config as { key_names: string[] }).key_names).toEqual(["testkey"]);

    const bad = await admin().patch(`/services/${s.id}/plugins/${plugin.id}`, { foo: "bar" });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual(
      schemaViolation("schema violation (foo: unknown field)", { foo: "unknown field" }),
    );
    expect((await admin().get(`/plugins/${plugin.id}`)).body).toEqual(r.body);

    expect((await admin().delete(`/services/${s.id}/plugins/${plugin.id}`)).status).toBe(204);
    expect((await admin().get(`/plugins/${plugin.id}`)).status).toBe(404);
  });
});

describe("writes serve at once", () => {
  it("a new service and route proxy; a PATCH and a DELETE take effect before the answer", async () => {
    const up = bed.upstream();
    const path = `/${unique("live")}`;
    const s = await admin().create("/services", { name: unique("svc"), url: `${up.url}/base` });
    await admin().create(`/services/${s.id}/routes`, { paths: [path] });
    const first = await bed.proxy(`${path}/x`);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text).path).toBe("/base/x");

    expect((await admin().patch(`/services/${s.id}`, { path: "/other" })).status).toBe(200);
    expect(JSON.parse((await bed.proxy(`${path}/x`)).text).path).toBe("/other/x");

    // Kong leaves the routes of a disabled service out of the router
    expect((await admin().patch(`/services/${s.id}`, { enabled: false })).status).toBe(200);
    expect((await bed.proxy(`${path}/x`)).status).toBe(404);

    expect((await admin().patch(`/services/${s.id}`, { enabled: true })).status).toBe(200);
    expect((await bed.proxy(`${path}/x`)).status).toBe(200);
    const route = (await admin().get(`/services/${s.id}/routes`)).body.data as Array<{ id: string }>;
    expect((await admin().delete(`/routes/${route[0]!.id}`)).status).toBe(204);
    expect((await bed.proxy(`${path}/x`)).status).toBe(404);
  });
});

/**
 * /plugins in database mode on a real PostgreSQL, as Kong 3.x answers it
 * (spec/02-integration/04-admin_api/04-plugins_routes_spec.lua re-expressed): create global and
 * scoped plugins with their config defaults, read, PATCH merging `config` field by field, PUT
 * upserts by id, DELETE (204 for a missing one), Kong's errors (unknown plugin, bad config,
 * foreign key violations), and a global plugin applying on the proxy as soon as it is written.
 */
import { fetch } from "undici";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { adminPerFile, type Json, NOT_FOUND, schemaViolation, unique } from "./_admin.js";

const bed = adminPerFile();
const admin = () => bed.admin();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = "7b9d3f4e-1c2a-4b5d-8e6f-0a1b2c3d4e5f";

describe("POST /plugins", () => {
  it("creates a plugin with its config defaults, protocols and timestamps", async () => {
    const s = await admin().create("/services", { host: "a.test" });
    const r = await admin().post("/plugins", { name: "key-auth", service: { id: s.id } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      id: expect.stringMatching(UUID),
      created_at: expect.any(Number),
      updated_at: expect.any(Number),
      name: "key-auth",
      enabled: true,
      protocols: ["grpc", "grpcs", "http", "https"],
      service: { id: s.id },
      route: null,
      consumer: null,
      tags: null,
      config: {
        key_names: ["apikey"],
        hide_credentials: false,
        key_in_header: true,
        key_in_query: true,
        key_in_body: false,
        run_on_preflight: true,
        anonymous: null,
      },
    });
    expect(await admin().get(`/plugins/${r.body.id}`)).toMatchObject({ status: 200, body: r.body });
  });

  it("answers 400 for an unknown plugin, a bad config value and a config that is no record", async () => {
    let r = await admin().post("/plugins", { name: "no-such-plugin" });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 2, name: "schema violation" });
    expect(Object.keys(r.body.fields as object)).toEqual(["name"]);

    r = await admin().form("POST", "/plugins", "name=rate-limiting&config.minute=abc");
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 2, fields: { config: { minute: expect.any(String) } } });

    r = await admin().post("/plugins", { name: "key-auth", config: "bar" });
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (config: expected a record)", { config: "expected a record" }),
    );
  });

  it("answers 400 foreign key violation for a missing route, service or consumer", async () => {
    for (const field of ["route", "service", "consumer"]) {
      const r = await admin().post("/plugins", {
        name: "rate-limiting",
        config: { minute: 5 },
        [field]: { id: MISSING },
      });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({
        code: 4,
        name: "foreign key violation",
        message: `the foreign key '{id="${MISSING}"}' does not reference an existing '${field}s' entity.`,
        fields: { [field]: { id: MISSING } },
      });
    }
  });

  it("answers 409 for a second global plugin of one name", async () => {
    await admin().create("/plugins", { name: "correlation-id" });
    const r = await admin().post("/plugins", { name: "correlation-id" });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({
      code: 5,
      name: "unique constraint violation",
      message: `UNIQUE violation detected on '{consumer=null,name="correlation-id",route=null,service=null}'`,
      fields: { consumer: null, name: "correlation-id", route: null, service: null },
    });
    expect(await admin().delete("/plugins")).toMatchObject({
      status: 405,
      body: { message: "Method not allowed" },
    });
  });
});

describe("instance_name", () => {
  it("is unique: a second plugin with a taken instance_name is 409, a PATCH onto one too", async () => {
    const instance = unique("instance");
    const s = await admin().create("/services", { host: "a.test" });
    await admin().create(`/services/${s.id}/plugins`, { name: "key-auth", instance_name: instance });
    const r = await admin().post(`/services/${s.id}/plugins`, { name: "cors", instance_name: instance });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({
      code: 5,
      name: "unique constraint violation",
      message: `UNIQUE violation detected on '{instance_name="${instance}"}'`,
      fields: { instance_name: instance },
    });
    const other = await admin().create(`/services/${s.id}/plugins`, {
      name: "cors",
      instance_name: unique("i"),
    });
    const patch = await admin().patch(`/plugins/${other.id}`, { instance_name: instance });
    expect(patch).toMatchObject({ status: 409, body: { code: 5, fields: { instance_name: instance } } });
    // its own value again is no conflict
    expect((await admin().patch(`/plugins/${other.id}`, { enabled: false })).status).toBe(200);
  });
});

describe("GET / in database mode", () => {
  it("says postgres and lists the plugins in use, a new one at once", async () => {
    await admin().create("/plugins", {
      name: "request-transformer",
      config: { add: { headers: ["x-a:1"] } },
    });
    const r = await admin().get("/");
    expect(r.status).toBe(200);
    expect(r.body.configuration).toMatchObject({ database: "postgres" });
    expect((r.body.plugins as { enabled_in_cluster: string[] }).enabled_in_cluster).toContain(
      "request-transformer",
    );
    expect((await admin().get("/status")).body.database).toEqual({ reachable: true });
  });
});

describe("GET /plugins", () => {
  it("lists plugins; 404 for a missing one; /plugins/enabled names the installed ones", async () => {
    const p = await admin().create("/plugins", { name: "cors", tags: [unique("tag")] });
    const list = await admin().get("/plugins?size=1000");
    expect(list.status).toBe(200);
    expect(list.body.data).toContainEqual(p);
    expect(await admin().get(`/plugins/${MISSING}`)).toMatchObject({ status: 404, body: NOT_FOUND });
    const enabled = await admin().get("/plugins/enabled");
    expect(enabled.status).toBe(200);
    expect(enabled.body.enabled_plugins).toEqual(
      expect.arrayContaining(["cors", "key-auth", "rate-limiting", "jwt"]),
    );
  });
});

describe("PATCH /plugins/{plugin}", () => {
  it("merges config field by field, toggles enabled, drops a scope with null", async () => {
    const s = await admin().create("/services", { host: "a.test" });
    const p = await admin().create("/plugins", {
      name: "rate-limiting",
      service: { id: s.id },
      config: { minute: 5, hour: 100 },
    });
    let r = await admin().form("PATCH", `/plugins/${p.id}`, "config.minute=7");
    expect(r.status).toBe(200);
    expect(r.body.config).toMatchObject({ minute: 7, hour: 100 });
    expect(r.body.service).toEqual({ id: s.id });

    r = await admin().patch(`/plugins/${p.id}`, { enabled: false, service: null });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ enabled: false, service: null });
    expect(r.body.config).toMatchObject({ minute: 7, hour: 100 });
    expect((await admin().get(`/plugins/${p.id}`)).body).toEqual(r.body);

    // the whole plugin sent back, as a client that read it would
    const { created_at: _c, updated_at: _u, ...whole } = r.body;
    r = await admin().patch(`/plugins/${p.id}`, { ...whole, enabled: true });
    expect(r.status).toBe(200);
    expect(r.body.enabled).toBe(true);
  });

  it("answers 400 (nothing changed) for an unknown field or a config that is no record; 404 when missing", async () => {
    const p = await admin().create("/plugins", {
      name: "key-auth",
      config: { key_names: ["testkey"] },
      tags: [unique("t")],
    });
    let r = await admin().patch(`/plugins/${p.id}`, { foo: "bar" });
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (foo: unknown field)", { foo: "unknown field" }),
    );
    r = await admin().patch(`/plugins/${p.id}`, { config: "bar" });
    expect(r.status).toBe(400);
    expect(r.body).toEqual(
      schemaViolation("schema violation (config: expected a record)", { config: "expected a record" }),
    );
    expect((await admin().get(`/plugins/${p.id}`)).body).toEqual(p);
    expect((await admin().patch(`/plugins/${MISSING}`, { enabled: false })).status).toBe(404);
  });
});

describe("vault references", () => {
  it("a PATCH keeps a vault reference as written: the stored state never holds the resolved secret", async () => {
    process.env.GW_ADMIN_TEST_SECRET = "s3cr3t-resolved-value";
    const s = await admin().create("/services", { host: "a.test" });
    const ref = "{vault://env/GW_ADMIN_TEST_SECRET}";
    const p = await admin().create("/plugins", {
      name: "rate-limiting",
      service: { id: s.id },
      config: { minute: 5, redis: { host: "127.0.0.1", password: ref } },
    });
    expect((await admin().form("PATCH", `/plugins/${p.id}`, "config.minute=6")).status).toBe(200);
    const text = (await admin().get("/config")).body.config as string;
    expect(text).not.toContain("s3cr3t-resolved-value");
    const stored = (parse(text) as { plugins: Array<{ id: string; config: Json }> }).plugins.find(
      (x) => x.id === p.id,
    );
    expect(stored?.config).toMatchObject({ minute: 6, redis: { password: ref } });
  });
});

describe("PUT and DELETE /plugins/{plugin}", () => {
  it("creates with the path's id, replaces it, deletes it (204, then 204 again)", async () => {
    const s = await admin().create("/services", { host: "a.test" });
    const id = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b";
    let r = await admin().put(`/plugins/${id}`, { name: "key-auth", service: { id: s.id } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, name: "key-auth", service: { id: s.id } });
    const t = await admin().create("/services", { host: "b.test" });
    r = await admin().put(`/plugins/${id}`, {
      name: "key-auth",
      service: { id: t.id },
      config: { key_names: ["k"] },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, service: { id: t.id } });
    expect((r.body.config as { key_names: string[] }).key_names).toEqual(["k"]);
    expect((await admin().delete(`/plugins/${id}`)).status).toBe(204);
    expect((await admin().get(`/plugins/${id}`)).status).toBe(404);
    expect((await admin().delete(`/plugins/${id}`)).status).toBe(204);
  });
});

describe("writes serve at once", () => {
  it("a global plugin applies to every route as soon as it is created, and stops once disabled", async () => {
    const up = bed.upstream();
    const path = `/${unique("global")}`;
    const s = await admin().create("/services", { url: up.url });
    await admin().create(`/services/${s.id}/routes`, { paths: [path] });
    const header = () =>
      fetch(`${bed.gateway().proxyUrl}${path}`).then(async (r) => {
        await r.text();
        return r.headers.get("x-added");
      });
    expect(await header()).toBeNull();
    const p = await admin().form(
      "POST",
      "/plugins",
      "name=response-transformer&config.add.headers[]=x-added:yes",
    );
    expect(p.status).toBe(201);
    expect(await header()).toBe("yes");
    expect((await admin().patch(`/plugins/${p.body.id}`, { enabled: false })).status).toBe(200);
    expect(await header()).toBeNull();
  });
});

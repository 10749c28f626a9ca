/**
 * Entity writes in DB-less mode answered as Kong answers them (kong/api/endpoints.lua, the
 * DAO's checks before the DB-less strategy's refusal, spec/02-integration/04-admin_api/
 * 15-off_spec.lua and the plugins' api specs re-expressed): 415 / 400 for the body's
 * encoding, 404 for a missing parent or entity, 204 for deleting nothing, 400 schema
 * violations for invalid bodies, and only then the 405.
 */
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PluginLookup } from "../../../src/gateway/config/load.js";
import keyAuth from "../../../src/gateway/plugins/key-auth/index.js";
import { fakeLookup } from "../support/config.js";
import { FakeState, sendWrite, startAdmin } from "./_support.js";

const UUID = "7b9d3f4e-1c2a-4b5d-8e6f-0a1b2c3d4e5f";

// the real key-auth schema: its key_names messages are under test
const plugins: PluginLookup = (name) => (name === "key-auth" ? keyAuth : fakeLookup(name));

const DOC = {
  _format_version: "3.0",
  services: [
    { name: "orders", host: "orders.internal", routes: [{ name: "orders-api", paths: ["/orders"] }] },
  ],
  routes: [{ name: "lonely", paths: ["/lonely"] }],
  consumers: [{ username: "demo", keyauth_credentials: [{ key: "demo-key" }], acls: [{ group: "admins" }] }],
  upstreams: [{ name: "up", targets: [{ target: "10.0.0.1:80" }] }],
};

let admin: Awaited<ReturnType<typeof startAdmin>>;

const write = (method: string, path: string, body?: unknown, type?: string) =>
  sendWrite(admin.base, method, path, body, type);

const unsupported = (message: string) => ({
  code: 12,
  name: "operation unsupported",
  message: `${message} when not using a database`,
});

beforeAll(async () => {
  admin = await startAdmin(new FakeState(plugins), DOC);
});
afterAll(() => admin?.close());

describe("a write that would succeed gets the 405", () => {
  it.each([
    ["POST", "/services", { host: "new.internal" }, "cannot create 'services' entities"],
    [
      "PUT",
      "/services/new",
      { host: "new.internal" },
      "cannot create or update 'services' entities by 'name'",
    ],
    ["PATCH", "/services/orders", { port: 8080 }, "cannot update 'services' entities by 'name'"],
    ["PUT", "/consumers/demo", {}, "cannot create or update 'consumers' entities by 'username'"],
    ["POST", "/consumers/demo/jwt", {}, "cannot create 'jwt_secrets' entities"],
    ["POST", "/consumers/demo/key-auth", {}, "cannot create 'keyauth_credentials' entities"],
    [
      "PATCH",
      "/consumers/demo/key-auth/demo-key",
      { tags: ["x"] },
      "cannot update 'keyauth_credentials' entities by 'key'",
    ],
    ["POST", "/services/orders/routes", { paths: ["/more"] }, "cannot create 'routes' entities"],
    [
      "POST",
      "/plugins",
      { name: "key-auth", config: { key_names: ["x-key"] } },
      "cannot create 'plugins' entities",
    ],
    ["POST", "/upstreams/up/targets", { target: "10.0.0.2:80" }, "cannot create 'targets' entities"],
    ["PUT", "/upstreams/up/targets/10.0.0.1:80", { weight: 5 }, "cannot update 'targets' entities"],
    ["PATCH", "/routes/orders-api/service", { port: 81 }, "cannot update 'services' entities"],
  ])("%s %s → 405", async (method, path, body, message) => {
    const res = await write(method, path, body);
    expect(res.status).toBe(405);
    expect(res.body).toEqual(unsupported(message));
  });

  it("DELETE of an existing entity is 405 (by its endpoint key or by id)", async () => {
    expect((await write("DELETE", "/services/orders")).body).toEqual(
      unsupported("cannot remove 'services' entities by 'name'"),
    );
    const res = await fetch(`${admin.base}/routes/lonely`);
    const { id } = (await res.json()) as { id: string };
    expect((await write("DELETE", `/routes/${id}`)).body).toEqual(
      unsupported("cannot remove 'routes' entities"),
    );
    expect((await write("DELETE", "/consumers/demo/acls/admins")).body).toEqual(
      unsupported("cannot remove 'acls' entities"),
    );
  });
});

describe("what Kong answers before the 405", () => {
  it("a missing parent is 404", async () => {
    for (const path of ["/consumers/nobody/jwt", "/services/nope/routes", "/upstreams/none/targets"]) {
      const res = await write("POST", path, {});
      expect(res.status, path).toBe(404);
      expect(res.body).toEqual({ message: "Not found" });
    }
  });

  it("a PATCH of a missing entity is 404 with Kong's not-found error", async () => {
    expect(await write("PATCH", "/services/nope", { port: 1 })).toEqual({
      status: 404,
      body: {
        code: 6,
        name: "not found",
        message: `could not find the entity with '{name="nope"}'`,
        fields: { name: "nope" },
      },
    });
    expect((await write("PATCH", `/routes/${UUID}`, {})).body).toEqual({
      code: 6,
      name: "not found",
      message: `could not find the entity with primary key '{id="${UUID}"}'`,
      fields: { id: UUID },
    });
    expect((await write("PATCH", "/consumers/demo/key-auth/nope", {})).body).toEqual({
      message: "Not found",
    });
    expect((await write("PATCH", "/routes/lonely/service", {})).status).toBe(404);
  });

  it("a DELETE of nothing is 204 (nested: 404)", async () => {
    const gone = await write("DELETE", "/services/nope");
    expect(gone).toEqual({ status: 204, body: undefined });
    expect((await write("DELETE", "/consumers/demo/key-auth/nope")).status).toBe(404);
  });

  it("an invalid body is 400 with Kong's schema violation", async () => {
    expect(await write("POST", "/services", {})).toEqual({
      status: 400,
      body: {
        code: 2,
        name: "schema violation",
        message: "schema violation (host: required field missing)",
        fields: { host: "required field missing" },
      },
    });
    expect((await write("POST", "/consumers/demo/basic-auth", {})).body).toMatchObject({
      code: 2,
      message: "2 schema violations (password: required field missing; username: required field missing)",
    });
    expect((await write("POST", "/consumers/demo/jwt", { algorithm: "RS256" })).body).toMatchObject({
      message:
        "2 schema violations (failed conditional validation given value of field 'algorithm'; " +
        "rsa_public_key: required field missing)",
    });
    expect((await write("PATCH", "/services/orders", { port: "x" })).body).toMatchObject({
      message: "schema violation (port: expected an integer)",
    });
    expect((await write("PUT", "/consumers/demo/key-auth/demo-key", { ttl: "soon" })).status).toBe(400);
  });

  it("a plugin config error names the offending value (Kong's header_name)", async () => {
    const res = await write("POST", "/plugins", {
      name: "key-auth",
      config: { key_names: ["hello\\world"] },
    });
    expect(res.status).toBe(400);
    const message = "bad header name 'hello\\world', allowed characters are A-Z, a-z, 0-9, '_', and '-'";
    expect(res.body).toEqual({
      code: 2,
      name: "schema violation",
      message: `schema violation (config.key_names: {\n  ${JSON.stringify(message)}\n})`,
      fields: { config: { key_names: [message] } },
    });
    const unknown = await write("POST", "/plugins", { name: "nope" });
    expect(unknown.body).toMatchObject({
      message:
        "schema violation (name: plugin 'nope' not enabled; add it to the 'plugins' configuration property)",
    });
  });

  it("a PATCH is checked merged over the stored entity", async () => {
    // the stored service has a host: a partial body is valid; a null host is not
    expect((await write("PATCH", "/services/orders", { retries: 2 })).status).toBe(405);
    expect((await write("PATCH", "/services/orders", { host: null })).body).toMatchObject({
      message: "schema violation (host: required field missing)",
    });
  });

  it("bodies Kong cannot read: 415 for other types, 400 for bad JSON", async () => {
    expect((await write("POST", "/services", "x", "text/plain")).status).toBe(415);
    expect(await write("POST", "/services", "{nope", "application/json")).toEqual({
      status: 400,
      body: { message: "Cannot parse JSON body" },
    });
  });

  it("methods an endpoint lacks are 405 Method not allowed", async () => {
    for (const [method, path] of [
      ["DELETE", "/routes"],
      ["PATCH", "/services"],
      ["POST", `/routes/${UUID}`],
      ["DELETE", "/routes/orders-api/service"],
    ] as const) {
      const res = await write(method, path, method === "DELETE" ? undefined : {});
      expect(res, `${method} ${path}`).toEqual({ status: 405, body: { message: "Method not allowed" } });
    }
  });
});

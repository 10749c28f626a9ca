/**
 * Entity writes with form bodies (`curl -d`, `curl -F`) get the checks a JSON body gets, as
 * in Kong: the form decoded into nested fields and typed by the entity's or the plugin's
 * schema (kong/api/arguments.lua), so an invalid form is Kong's 400 schema violation naming
 * the field, before the DB-less 405 a valid one gets. Re-expressed from Kong's admin API
 * specs that post form bodies (consumers, plugins, services, routes, upstreams, 15-off).
 */
import { FormData, fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PluginLookup } from "../../../src/gateway/config/load.js";
import cors from "../../../src/gateway/plugins/cors/index.js";
import keyAuth from "../../../src/gateway/plugins/key-auth/index.js";
import rateLimiting from "../../../src/gateway/plugins/rate-limiting/index.js";
import { startTestGateway } from "../../support/gateway.js";
import { FakeState, json, sendWrite, startAdmin } from "./_support.js";

const UUID = "7b9d3f4e-1c2a-4b5d-8e6f-0a1b2c3d4e5f";
const FORM = "application/x-www-form-urlencoded";

// the real plugins: their config schemas type the `config.*` fields
const REAL = [rateLimiting, keyAuth, cors];
const plugins: PluginLookup = (name) => REAL.find((p) => p.name === name);

const DOC = {
  _format_version: "3.0",
  services: [{ name: "orders", host: "orders.internal" }],
  consumers: [{ username: "demo" }],
  upstreams: [{ name: "up", targets: [{ target: "10.0.0.1:80" }] }],
  plugins: [{ name: "rate-limiting", service: "orders", config: { minute: 10 } }],
};

let admin: Awaited<ReturnType<typeof startAdmin>>;

beforeAll(async () => {
  admin = await startAdmin(new FakeState(plugins), DOC);
});
afterAll(() => admin?.close());

const form = (method: string, path: string, body: string) => sendWrite(admin.base, method, path, body, FORM);
const multipart = (method: string, path: string, fields: ReadonlyArray<[string, string]>) => {
  const data = new FormData();
  for (const [name, value] of fields) data.append(name, value);
  return sendWrite(admin.base, method, path, data);
};

const refused = (what: string) => ({
  status: 405,
  body: {
    code: 12,
    name: "operation unsupported",
    message: `cannot ${what} when not using a database`,
  },
});

/** Kong's schema violation of one field, as a 400. */
const violation = (message: string, fields: Record<string, unknown>) => ({
  status: 400,
  body: { code: 2, name: "schema violation", message: `schema violation (${message})`, fields },
});

describe("a service", () => {
  it("url-encoded: numbers and booleans typed by the service schema", async () => {
    const ok = "name=billing&host=billing.internal&port=8080&retries=3&enabled=false&tags=a&tags=b";
    expect(await form("POST", "/services", ok)).toEqual(refused("create 'services' entities"));
    expect(await form("POST", "/services", "host=billing.internal&port=eighty")).toEqual(
      violation("port: expected an integer", { port: "expected an integer" }),
    );
    expect(await form("POST", "/services", "host=billing.internal&enabled=maybe")).toEqual(
      violation("enabled: expected a boolean", { enabled: "expected a boolean" }),
    );
  });

  it("the url shorthand and an empty value (null) as in a JSON body", async () => {
    expect(await form("PUT", "/services/billing", "url=http://billing.internal:8080/v1")).toEqual(
      refused("create or update 'services' entities by 'name'"),
    );
    // `host=` is null: the stored host is cleared, which the schema refuses
    expect(await form("PATCH", "/services/orders", "host=")).toEqual(
      violation("host: required field missing", { host: "required field missing" }),
    );
    expect(await form("PATCH", "/services/orders", "tags=&retries=0")).toEqual(
      refused("update 'services' entities by 'name'"),
    );
  });

  it("an unknown field is named", async () => {
    expect(await form("POST", "/services", "host=billing.internal&colour=blue")).toEqual(
      violation("colour: unknown field", { colour: "unknown field" }),
    );
  });
});

describe("a route", () => {
  it("arrays by repeated names, `[]` and `[n]`, a foreign key by `service.id`", async () => {
    const repeated = `paths=/a&paths=/b&methods=GET&methods=POST&strip_path=false&service.id=${UUID}`;
    expect(await form("POST", "/routes", repeated)).toEqual(refused("create 'routes' entities"));
    const brackets = "hosts[]=a.test&hosts[]=b.test&paths[1]=/x&paths[2]=/y&regex_priority=5";
    expect(await form("POST", "/services/orders/routes", brackets)).toEqual(
      refused("create 'routes' entities"),
    );

    const bad = await form("POST", "/routes", "paths[]=/a&paths[]=b&https_redirect_status_code=301");
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: 2,
      fields: { paths: [null, "should start with: / (fixed path) or ~/ (regex path)"] },
    });
    expect(await form("POST", "/routes", "paths=/a&strip_path=sometimes")).toEqual(
      violation("strip_path: expected a boolean", { strip_path: "expected a boolean" }),
    );
  });

  it("multipart: the same names", async () => {
    const fields: Array<[string, string]> = [
      ["paths[]", "/m1"],
      ["paths[]", "/m2"],
      ["protocols", "https"],
      ["headers.x-version", "2"],
    ];
    expect(await multipart("POST", "/routes", fields)).toEqual(refused("create 'routes' entities"));
    const bad = await multipart("POST", "/routes", [...fields, ["regex_priority", "high"]]);
    expect(bad).toEqual(
      violation("regex_priority: expected an integer", { regex_priority: "expected an integer" }),
    );
  });
});

describe("a consumer", () => {
  it("multipart (curl -F): fields, tags as a list", async () => {
    const ok = await multipart("POST", "/consumers", [
      ["username", "alice"],
      ["custom_id", "42"],
      ["tags[]", "a"],
      ["tags[]", "b"],
    ]);
    expect(ok).toEqual(refused("create 'consumers' entities"));
    expect(await multipart("POST", "/consumers", [["nickname", "al"]])).toMatchObject({
      status: 400,
      body: { fields: { nickname: "unknown field" } },
    });
  });

  it("an empty form is checked as an empty body (Kong's 400, not the 405)", async () => {
    const entity = {
      "@entity": ["at least one of these fields must be non-empty: 'custom_id', 'username'"],
    };
    for (const type of [FORM, "multipart/form-data"]) {
      const res = await sendWrite(admin.base, "POST", "/consumers", "", type);
      expect(res, type).toMatchObject({ status: 400, body: { name: "schema violation", fields: entity } });
    }
  });

  it("a credential under a consumer; a missing consumer is still 404 first", async () => {
    expect(await form("POST", "/consumers/demo/key-auth", "key=abc&ttl=60")).toEqual(
      refused("create 'keyauth_credentials' entities"),
    );
    expect(await form("POST", "/consumers/demo/key-auth", "ttl=soon")).toEqual(
      violation("ttl: expected an integer", { ttl: "expected an integer" }),
    );
    expect(await form("POST", "/consumers/nobody/key-auth", "ttl=soon")).toEqual({
      status: 404,
      body: { message: "Not found" },
    });
  });
});

describe("a plugin", () => {
  it("`config.*` typed by the plugin's own schema", async () => {
    const ok = "name=rate-limiting&config.minute=5&config.policy=local&config.redis.port=6380";
    expect(await form("POST", "/plugins", ok)).toEqual(refused("create 'plugins' entities"));
    expect(await form("POST", "/plugins", "name=rate-limiting&config.minute=abc")).toEqual(
      violation("config.minute: expected a number", { config: { minute: "expected a number" } }),
    );
    expect(await form("POST", "/plugins", "name=rate-limiting&config.minute=5&config.hourly=1")).toEqual(
      violation("config.hourly: unknown field", { config: { hourly: "unknown field" } }),
    );
  });

  it("lists in config: indexed (Kong's services spec), repeated, and a bare name as true", async () => {
    const keyNames = "name=key-auth&config.key_names[1]=apikey&config.key_names[2]=key";
    expect(await form("POST", "/services/orders/plugins", keyNames)).toEqual(
      refused("create 'plugins' entities"),
    );
    const origins =
      "name=cors&config.origins=https://a.test&config.origins=https://b.test&config.credentials";
    expect(await form("POST", "/plugins", origins)).toEqual(refused("create 'plugins' entities"));
    expect(await form("POST", "/plugins", "name=cors&config.max_age=long")).toEqual(
      violation("config.max_age: expected a number", { config: { max_age: "expected a number" } }),
    );
  });

  it("multipart `config.*` fields", async () => {
    const fields: Array<[string, string]> = [
      ["name", "rate-limiting"],
      ["config.second", "2"],
      ["config.fault_tolerant", "false"],
    ];
    expect(await multipart("POST", "/consumers/demo/plugins", fields)).toEqual(
      refused("create 'plugins' entities"),
    );
    expect(await multipart("POST", "/plugins", [...fields, ["config.hide_client_headers", "no"]])).toEqual(
      violation("config.hide_client_headers: expected a boolean", {
        config: { hide_client_headers: "expected a boolean" },
      }),
    );
  });

  it("a PATCH naming no plugin types config by the stored plugin", async () => {
    const listed = await fetchPlugins();
    const id = listed[0]!.id;
    expect(await form("PATCH", `/plugins/${id}`, "config.minute=20")).toEqual(
      refused("update 'plugins' entities"),
    );
    expect(await form("PATCH", `/plugins/${id}`, "config.minute=lots")).toEqual(
      violation("config.minute: expected a number", { config: { minute: "expected a number" } }),
    );
  });
});

async function fetchPlugins(): Promise<Array<{ id: string }>> {
  const res = await fetch(`${admin.base}/plugins`);
  return (await json(res)).data as Array<{ id: string }>;
}

describe("an upstream and its targets", () => {
  it("nested records by dotted names (healthchecks.active.healthy.interval=5)", async () => {
    const ok =
      "name=up2&healthchecks.active.healthy.interval=5&healthchecks.active.healthy.http_statuses[]=200" +
      "&healthchecks.active.healthy.http_statuses[]=302&healthchecks.threshold=25";
    expect(await form("POST", "/upstreams", ok)).toEqual(refused("create 'upstreams' entities"));
    const bad = await form("POST", "/upstreams", "name=up2&healthchecks.active.healthy.interval=often");
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: 2,
      fields: { healthchecks: { active: { healthy: { interval: "expected a number" } } } },
    });
  });

  it("a target's weight", async () => {
    expect(await form("POST", "/upstreams/up/targets", "target=10.0.0.9:80&weight=50")).toEqual(
      refused("create 'targets' entities"),
    );
    expect(await form("POST", "/upstreams/up/targets", "target=10.0.0.9:80&weight=heavy")).toEqual(
      violation("weight: expected an integer", { weight: "expected an integer" }),
    );
  });
});

describe("what a form cannot be", () => {
  it("more than 1000 arguments is Kong's 400 Too many arguments", async () => {
    const many = Array.from({ length: 1001 }, (_, i) => `tags=t${i}`).join("&");
    expect(await form("POST", "/consumers", `username=x&${many}`)).toEqual({
      status: 400,
      body: { message: "Too many arguments" },
    });
    expect((await form("POST", "/consumers", "username=x&tags=a")).status).toBe(405);
  });
});

describe("through a running gateway (its plugin registry, its Admin API listener)", () => {
  it("a form plugin is checked by the installed plugin's schema before the 405", async () => {
    const gw = await startTestGateway({
      _format_version: "3.0",
      services: [{ name: "s", host: "s.internal" }],
    });
    try {
      const post = (body: string) => sendWrite(gw.adminUrl!, "POST", "/services/s/plugins", body, FORM);
      expect(await post("name=rate-limiting&config.minute=5&config.limit_by=ip")).toEqual(
        refused("create 'plugins' entities"),
      );
      expect(await post("name=rate-limiting&config.minute=abc")).toEqual(
        violation("config.minute: expected a number", { config: { minute: "expected a number" } }),
      );
    } finally {
      await gw.close();
    }
  });
});

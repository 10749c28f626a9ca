/**
 * request-termination through the running gateway (Kong's spec/03-plugins/14-request-termination
 * re-expressed): status and message, raw bodies with their content type, a 204 without
 * Content-Length, echo and trigger, a consumer-scoped entry after key-auth, and the config
 * checks, reported at `config` as Kong's custom validator does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestTerminationSchema } from "../../../src/gateway/plugins/request-termination/schema.js";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { postPluginConfig } from "./_plugin-config.js";
import { send } from "./_support.js";

let upstream: EchoUpstream;
let gw: Gateway;

const terminated = (host: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: host.replaceAll(".", "-"),
  hosts: [host],
  ...extra,
  plugins: [{ name: "request-termination", config }],
});

beforeAll(async () => {
  upstream = await startEchoUpstream();
  gw = await startTestGateway({
    _format_version: "3.0",
    services: [
      {
        name: "echo",
        url: upstream.url,
        routes: [
          terminated("api1.rt.test", {}),
          terminated("api2.rt.test", { status_code: 404 }),
          terminated("api3.rt.test", { status_code: 406, message: "Invalid" }),
          terminated("api4.rt.test", {
            body: "<html><body><h1>Service is down for maintenance</h1></body></html>",
          }),
          terminated("api5.rt.test", {
            status_code: 451,
            content_type: "text/html",
            body: "<html><body><h1>Service is down due to content infringement</h1></body></html>",
          }),
          terminated("api6.rt.test", {
            status_code: 503,
            body: '{"code": 1, "message": "Service unavailable"}',
          }),
          terminated("api8.rt.test", { status_code: 204 }),
          terminated("api8b.rt.test", { status_code: 418 }),
          terminated(
            "api9.rt.test",
            { echo: true, status_code: 404 },
            { strip_path: false, paths: ["~/(?<parameter>[^#?/]+)/200"] },
          ),
          terminated("api10.rt.test", { echo: true, trigger: "gimme-an-echo", status_code: 404 }),
          {
            name: "keyed",
            hosts: ["keyed.rt.test"],
            plugins: [{ name: "key-auth" }],
          },
        ],
      },
    ],
    routes: [terminated("serviceless.rt.test", {})],
    consumers: [
      {
        username: "bob",
        keyauth_credentials: [{ key: "bob-key" }],
        plugins: [{ name: "request-termination", config: { status_code: 403, message: "bob is blocked" } }],
      },
      { username: "eve", keyauth_credentials: [{ key: "eve-key" }] },
    ],
  });
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const get = (
  host: string,
  path = "/status/200",
  opts: { headers?: Record<string, string>; body?: string } = {},
) =>
  send(gw.proxyUrl, path, {
    headers: { host, ...opts.headers },
    ...(opts.body === undefined ? {} : { body: opts.body }),
  });

describe("request-termination: status and message", () => {
  it("defaults to 503 Service unavailable, on service-less routes too", async () => {
    for (const host of ["api1.rt.test", "serviceless.rt.test"]) {
      const r = await get(host);
      expect(r.status, host).toBe(503);
      expect(r.json()).toEqual({ message: "Service unavailable" });
      expect(r.headers["content-type"]).toMatch(/^application\/json/);
    }
  });

  it("a status gets Kong's default message, or the configured one, or none", async () => {
    let r = await get("api2.rt.test");
    expect([r.status, r.json()]).toEqual([404, { message: "Not found" }]);
    r = await get("api3.rt.test");
    expect([r.status, r.json()]).toEqual([406, { message: "Invalid" }]);
    r = await get("api8b.rt.test");
    expect([r.status, r.body, r.headers["content-length"]]).toEqual([418, "", "0"]);
  });

  it("a 204 carries no Content-Length", async () => {
    const r = await get("api8.rt.test", "/status/204");
    expect(r.status).toBe(204);
    expect(r.headers["content-length"]).toBeUndefined();
    expect(r.body).toBe("");
  });

  it("never reaches the upstream", async () => {
    const before = upstream.requests.length;
    await get("api1.rt.test");
    expect(upstream.requests.length).toBe(before);
  });
});

describe("request-termination: raw bodies", () => {
  it("sends the body as configured, with content_type when set", async () => {
    let r = await get("api4.rt.test");
    expect([r.status, r.body]).toEqual([
      503,
      "<html><body><h1>Service is down for maintenance</h1></body></html>",
    ]);
    expect(r.headers["content-type"]).toBeUndefined();
    r = await get("api5.rt.test");
    expect([r.status, r.body]).toEqual([
      451,
      "<html><body><h1>Service is down due to content infringement</h1></body></html>",
    ]);
    expect(r.headers["content-type"]).toBe("text/html");
    r = await get("api6.rt.test");
    expect([r.status, r.json()]).toEqual([503, { code: 1, message: "Service unavailable" }]);
  });
});

describe("request-termination: echo and trigger", () => {
  it("echoes the request when no trigger is set, with the route's URI captures", async () => {
    const r = await get("api9.rt.test", "/status/200?hello=there", { body: "cool body" });
    expect(r.status).toBe(404);
    const json = r.json<{
      message: string;
      kong: { node_id: string; worker_pid: number; hostname: string };
      request: Record<string, unknown> & { headers: Record<string, string> };
      matched_route: { hosts: string[] };
      matched_service: { name: string };
    }>();
    expect(json.message).toBe("Not found");
    expect(json.kong.worker_pid).toBe(process.pid);
    expect(json.kong.node_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.matched_route.hosts).toEqual(["api9.rt.test"]);
    expect(json.matched_service.name).toBe("echo");
    const { headers, ...request } = json.request;
    expect(headers.host).toBe("api9.rt.test");
    expect(headers["content-length"]).toBe("9");
    expect(request).toEqual({
      scheme: "http",
      host: "api9.rt.test",
      port: Number(new URL(gw.proxyUrl).port),
      query: { hello: "there" },
      raw_body: "cool body",
      method: "GET",
      path: "/status/200",
      uri_captures: { named: { parameter: "status" }, unnamed: ["status"] },
    });
  });

  it("with a trigger: proxied as usual without it, echoed when a header or query argument names it", async () => {
    let r = await get("api10.rt.test");
    expect(r.status).toBe(200);
    expect(r.upstream().path).toBe("/status/200");
    r = await get("api10.rt.test", "/status/200?hello=there", {
      headers: { "gimme-an-echo": "anything will do" },
      body: "cool body",
    });
    expect(r.status).toBe(404);
    let request = r.json<{ request: Record<string, unknown> & { headers: Record<string, string> } }>()
      .request;
    expect(request.headers["gimme-an-echo"]).toBe("anything will do");
    expect(request.uri_captures).toEqual({ named: {}, unnamed: [] });
    r = await get("api10.rt.test", "/status/200?hello=there&gimme-an-echo=anything%20will%20do&flag");
    expect(r.status).toBe(404);
    request = r.json<{ request: Record<string, unknown> & { headers: Record<string, string> } }>().request;
    expect(request.query).toEqual({ hello: "there", "gimme-an-echo": "anything will do", flag: true });
    expect(request.raw_body).toBe("");
  });

  it("echoes a form body decoded", async () => {
    const r = await get("api9.rt.test", "/status/200", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=1&b=2&b=3",
    });
    expect(r.json<{ request: { body: unknown } }>().request.body).toEqual({ a: "1", b: ["2", "3"] });
  });
});

describe("request-termination: on a consumer", () => {
  it("terminates the requests of that consumer only, after authentication", async () => {
    let r = await get("keyed.rt.test", "/request", { headers: { apikey: "bob-key" } });
    expect([r.status, r.json()]).toEqual([403, { message: "bob is blocked" }]);
    r = await get("keyed.rt.test", "/request", { headers: { apikey: "eve-key" } });
    expect(r.status).toBe(200);
  });
});

describe("request-termination: config checks (Kong's messages, through POST /config)", () => {
  /** The error at the plugin's `config` of a refused POST /config (null when it would be accepted). */
  const configError = async (config: Record<string, unknown>): Promise<unknown> => {
    if (requestTerminationSchema.safeParse(config).success) return null;
    const r = await postPluginConfig(gw.adminUrl, "request-termination", config);
    expect(r.status).toBe(400);
    const body = JSON.parse(r.text) as { fields: { plugins: Array<{ config?: unknown }> } };
    return body.fields.plugins[0]?.config;
  };

  it("status_code: an integer between 100 and 599", async () => {
    expect(await configError({ status_code: "abcd" })).toEqual({ status_code: "expected an integer" });
    expect(await configError({ status_code: 99 })).toEqual({
      status_code: "value should be between 100 and 599",
    });
    expect(await configError({ status_code: 600 })).toEqual({
      status_code: "value should be between 100 and 599",
    });
    expect(await configError({ status_code: 404 })).toBeNull();
  });

  it("record-level conflicts are reported at `config` itself", async () => {
    const cannot = "message cannot be used with content_type or body";
    expect(await configError({ message: "error", body: "test" })).toBe(cannot);
    expect(await configError({ message: "error", content_type: "text/html", body: "test" })).toBe(cannot);
    expect(await configError({ message: "error", content_type: "text/html" })).toBe(cannot);
    expect(await configError({ content_type: "text/html" })).toBe("content_type requires a body");
    expect(await configError({ echo: true, content_type: "text/html", body: "<h1>x</h1>" })).toBe(
      "echo cannot be used with content_type and body",
    );
    expect(await configError({ content_type: "text/html", body: "<h1>Not found</h1>" })).toBeNull();
    expect(await configError({ echo: true, trigger: "header_name" })).toBeNull();
  });

  it("the refused configurations left the served one in place", async () => {
    expect((await get("api1.rt.test")).status).toBe(503);
  });
});

/**
 * The Admin API through a real node:http server on 127.0.0.1:0 with a fake AdminState
 * (_support.ts): node info, reads, GET/POST /config, plugin routes, the admin token. Lists
 * and their errors: pagination.test.ts; entity writes: writes.test.ts.
 */
import { createServer, type Server } from "node:http";
import { FormData, fetch } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { createAdminHandler } from "../../../src/gateway/admin/handler.js";
import { DOC, FakeState, json, listen } from "./_support.js";

describe("Admin API (no token)", () => {
  let state: FakeState;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    state = new FakeState();
    server = createServer(createAdminHandler(state, { maxBodyBytes: 1024 * 1024 }));
    base = await listen(server);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(async () => {
    state.current = null;
    state.doc = null;
    const r = await state.apply(DOC);
    expect(r.ok).toBe(true);
  });

  it("GET / describes the node and its plugins", async () => {
    const body = await json(await fetch(`${base}/`));
    expect(body).toMatchObject({
      tagline: "Welcome to kong",
      version: "0.1.0",
      node_id: state.node.node_id,
      hostname: "gw-test",
      plugins: {
        available_on_server: { "key-auth": { version: "1.0.0", priority: 1000 } },
        enabled_in_cluster: ["rate-limiting"],
      },
      configuration: { database: "off" },
    });
  });

  it("GET /status carries counters and the configuration hash", async () => {
    const body = await json(await fetch(`${base}/status`));
    expect(body).toMatchObject({
      database: { reachable: true },
      server: { total_requests: 42, connections_active: 1, connections_accepted: 5 },
      configuration_hash: state.current!.hash,
    });
    expect(state.current!.hash).toMatch(/^[0-9a-f]{32}$/);
  });

  it("lists services in Kong's envelope and finds one by name or id", async () => {
    const list = await json(await fetch(`${base}/services`));
    expect(list.next).toBeNull();
    const data = list.data as Array<Record<string, unknown>>;
    expect(data.map((s) => s.name)).toEqual(["orders", "users"]);
    expect(data[0]).toMatchObject({
      host: "orders.internal",
      port: 8080,
      path: "/v1",
      protocol: "http",
      tags: null,
    });
    const id = data[0]!.id as string;
    expect(await json(await fetch(`${base}/services/orders`))).toMatchObject({ id, name: "orders" });
    expect(await json(await fetch(`${base}/services/${id}`))).toMatchObject({ id, name: "orders" });
  });

  it("404 with Kong's body for unknown entities and paths", async () => {
    for (const path of [
      "/services/nope",
      "/routes/nope",
      "/consumers/nobody",
      "/upstreams/none/health",
      "/nothing-here",
    ]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ message: "Not found" });
    }
  });

  it("nested listings: a service's routes and plugins, a route's service", async () => {
    const routes = await json(await fetch(`${base}/services/orders/routes`));
    expect((routes.data as Array<{ name: string }>).map((r) => r.name).sort()).toEqual([
      "orders-admin",
      "orders-api",
    ]);
    const route = await json(await fetch(`${base}/routes/orders-api`));
    expect(route.service).toEqual({ id: state.current!.services[0]!.id });
    expect(await json(await fetch(`${base}/routes/orders-api/service`))).toMatchObject({ name: "orders" });
    const plugins = await json(await fetch(`${base}/services/orders/plugins`));
    expect((plugins.data as Array<{ name: string }>).map((p) => p.name)).toEqual(["rate-limiting"]);
  });

  it("plugins: configs come without secrets", async () => {
    const body = await json(await fetch(`${base}/plugins`));
    const p = (
      body.data as Array<{ config: { minute: number; redis: { host: string; password: string } } }>
    )[0]!;
    expect(p.config.minute).toBe(10);
    expect(p.config.redis).toEqual({ host: "r", password: "[REDACTED]" });
    expect(JSON.stringify(body)).not.toContain("redis-secret");
    const enabled = await json(await fetch(`${base}/plugins/enabled`));
    expect(enabled.enabled_plugins).toEqual(["cors", "key-auth", "rate-limiting"]);
  });

  it("consumers carry no secrets; credential listings are redacted", async () => {
    const consumers = await fetch(`${base}/consumers`).then((r) => r.text());
    expect(consumers).not.toContain("demo-key-123");
    expect(consumers).not.toContain("hunter2");
    const keys = await json(await fetch(`${base}/consumers/demo/key-auth`));
    expect(keys.data).toEqual([
      expect.objectContaining({ key: "[REDACTED]", consumer: { id: state.current!.consumers[0]!.id } }),
    ]);
    const acls = await json(await fetch(`${base}/consumers/demo/acls`));
    expect(acls.data).toEqual([expect.objectContaining({ group: "admins" })]);
  });

  it("upstreams, targets and health", async () => {
    const targets = await json(await fetch(`${base}/upstreams/orders-up/targets`));
    expect(
      (targets.data as Array<{ target: string; weight: number }>).map((t) => [t.target, t.weight]),
    ).toEqual([
      ["10.0.0.1:8080", 100],
      ["10.0.0.2:8080", 50],
    ]);
    const health = await json(await fetch(`${base}/upstreams/orders-up/health`));
    expect(health).toMatchObject({ total: 2, next: null, node_id: state.node.node_id });
    expect((health.data as Array<{ health: string }>)[0]!.health).toBe("HEALTHCHECKS_OFF");
  });

  it("GET /config returns the document as YAML with secrets redacted", async () => {
    const body = await json(await fetch(`${base}/config`));
    const text = body.config as string;
    expect(text).not.toContain("demo-key-123");
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("redis-secret");
    const doc = parseYaml(text) as typeof DOC;
    expect(doc._format_version).toBe("3.0");
    expect(doc.consumers[0]!.keyauth_credentials[0]!.key).toBe("[REDACTED]");
    expect(doc.services[0]!.routes?.[0]?.paths).toEqual(["/orders"]);
  });

  it("GET /metrics renders the registry", async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(/kong_http_requests_total 3/);
  });

  describe("POST /config", () => {
    const NEXT = {
      _format_version: "3.0",
      services: [{ name: "next", host: "next.internal", routes: [{ paths: ["/next"] }] }],
    };
    const NEXT_YAML = `_format_version: "3.0"\nservices:\n  - name: next\n    host: next.internal\n    routes:\n      - paths: [/next]\n`;

    it("JSON document → 201 with the loaded entities, applied", async () => {
      const res = await fetch(`${base}/config`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(NEXT),
      });
      expect(res.status).toBe(201);
      const body = await json(res);
      expect(Object.values(body.services as object).map((s: { name: string }) => s.name)).toEqual(["next"]);
      expect(state.current!.services.map((s) => s.name)).toEqual(["next"]);
    });

    it("YAML text body", async () => {
      const res = await fetch(`${base}/config`, {
        method: "POST",
        headers: { "content-type": "text/yaml" },
        body: NEXT_YAML,
      });
      expect(res.status).toBe(201);
      expect(state.current!.services[0]!.name).toBe("next");
    });

    it("multipart field `config` (curl -F config=@kong.yml)", async () => {
      const form = new FormData();
      form.set("config", new Blob([NEXT_YAML], { type: "application/x-yaml" }), "kong.yml");
      const res = await fetch(`${base}/config`, { method: "POST", body: form });
      expect(res.status).toBe(201);
      expect(state.current!.services[0]!.name).toBe("next");
    });

    it("url-encoded config= and JSON {config: text}", async () => {
      const a = await fetch(`${base}/config`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ config: NEXT_YAML }).toString(),
      });
      expect(a.status).toBe(201);
      const b = await fetch(`${base}/config`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ config: NEXT_YAML }),
      });
      expect(b.status).toBe(201);
    });

    it("invalid → 400 code 14, the old configuration stays", async () => {
      const before = state.current!.hash;
      const res = await fetch(`${base}/config`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ _format_version: "3.0", services: [{ name: "broken" }] }),
      });
      expect(res.status).toBe(400);
      const body = await json(res);
      expect(body).toMatchObject({
        code: 14,
        name: "invalid declarative configuration",
        fields: { services: [{ host: "required field missing" }] },
      });
      expect(body.flattened_errors).toEqual([
        expect.objectContaining({ entity_type: "service", entity_name: "broken" }),
      ]);
      expect(state.current!.hash).toBe(before);
      expect((await json(await fetch(`${base}/status`))).configuration_hash).toBe(before);
    });

    it("unparseable JSON, empty body", async () => {
      const a = await fetch(`${base}/config`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{",
      });
      expect(a.status).toBe(400);
      expect(await a.json()).toEqual({ message: "Cannot parse JSON body" });
      const b = await fetch(`${base}/config`, { method: "POST", body: "" });
      expect(b.status).toBe(400);
      expect(await b.json()).toEqual({ message: "expected a declarative configuration" });
    });

    it("check_hash=1 with the same document → 304, nothing applied", async () => {
      const applied = state.applied;
      const res = await fetch(`${base}/config?check_hash=1`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(DOC),
      });
      expect(res.status).toBe(304);
      expect(state.applied).toBe(applied);
    });

    it("a body over the limit → 413", async () => {
      const res = await fetch(`${base}/config`, { method: "POST", body: "x".repeat(2 * 1024 * 1024) });
      expect(res.status).toBe(413);
    });
  });

  it("plugin-registered routes are served", async () => {
    const purged: string[] = [];
    state.routes.add("DELETE", "/proxy-cache/:key", (req) => {
      purged.push(req.params.key!);
      return { status: 204 };
    });
    state.routes.add("GET", "/proxy-cache/:key", (req) => ({ status: 200, body: { key: req.params.key } }));
    const del = await fetch(`${base}/proxy-cache/abc`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect(purged).toEqual(["abc"]);
    expect(await json(await fetch(`${base}/proxy-cache/abc`))).toEqual({ key: "abc" });
  });
});

describe("Admin API with a token", () => {
  let server: Server;
  let base: string;
  const token = "s3cret-token-value";

  beforeAll(async () => {
    const state = new FakeState();
    await state.apply(DOC);
    server = createServer(createAdminHandler(state, { token }));
    base = await listen(server);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it.each([
    [{}],
    [{ authorization: "Bearer wrong" }],
    [{ authorization: `Basic ${token}` }],
    [{ authorization: `Bearer ${token}x` }],
  ])("refuses %j with 401", async (headers) => {
    const res = await fetch(`${base}/status`, { headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: "Unauthorized" });
  });

  it("accepts Authorization: Bearer and Kong-Admin-Token", async () => {
    expect((await fetch(`${base}/status`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    expect((await fetch(`${base}/services`, { headers: { "kong-admin-token": token } })).status).toBe(200);
  });

  it("refuses POST /config without the token, whatever the body", async () => {
    const res = await fetch(`${base}/config`, { method: "POST", body: "x".repeat(10_000) });
    expect(res.status).toBe(401);
  });
});

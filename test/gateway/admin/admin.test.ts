/**
 * The Admin API through a real node:http server on 127.0.0.1:0 with a fake AdminState
 * (the server's state is another area's; the Admin API only reads and drives it).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter } from "prom-client";
import { FormData, fetch } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { createAdminHandler } from "../../../src/gateway/admin/handler.js";
import type { AdminState, AdminTargetHealth } from "../../../src/gateway/admin/types.js";
import { AdminRouteTable } from "../../../src/gateway/admin-routes.js";
import { parseDeclarativeConfig } from "../../../src/gateway/config/load.js";
import type { GatewayConfig } from "../../../src/gateway/config/types.js";
import { GatewayMetrics } from "../../../src/gateway/metrics.js";
import { FAKE_PLUGINS, fakeLookup } from "../support/config.js";

const DOC = {
  _format_version: "3.0",
  services: [
    {
      name: "orders",
      url: "http://orders.internal:8080/v1",
      routes: [
        { name: "orders-api", paths: ["/orders"] },
        { name: "orders-admin", paths: ["/orders-admin"], methods: ["POST"] },
      ],
      plugins: [
        { name: "rate-limiting", config: { minute: 10, redis: { host: "r", password: "redis-secret" } } },
      ],
    },
    { name: "users", host: "users.internal", tags: ["team-a"] },
  ],
  consumers: [
    {
      username: "demo",
      keyauth_credentials: [{ key: "demo-key-123" }],
      basicauth_credentials: [{ username: "demo", password: "hunter2" }],
      acls: [{ group: "admins" }],
    },
  ],
  upstreams: [
    { name: "orders-up", targets: [{ target: "10.0.0.1:8080" }, { target: "10.0.0.2:8080", weight: 50 }] },
  ],
};

class FakeState implements AdminState {
  readonly node = { node_id: "3b0f4c2e-0000-4000-8000-00000000abcd", version: "0.1.0", hostname: "gw-test" };
  readonly metrics = new GatewayMetrics();
  readonly routes = new AdminRouteTable();
  current: GatewayConfig | null = null;
  doc: Record<string, unknown> | null = null;
  applied = 0;

  constructor() {
    new Counter({
      name: "kong_http_requests_total",
      help: "requests",
      registers: [this.metrics.registry],
    }).inc(3);
  }
  config() {
    return this.current;
  }
  document() {
    return this.doc;
  }
  async apply(input: string | object) {
    const r = parseDeclarativeConfig(input, { plugins: fakeLookup, env: {} });
    if (!r.ok) return { ok: false as const, error: r.error };
    this.current = r.config;
    this.doc = r.doc;
    this.applied++;
    return { ok: true as const };
  }
  upstreamHealth(nameOrId: string): AdminTargetHealth[] | null {
    const up = this.current?.upstreams.find((u) => u.id === nameOrId || u.name === nameOrId);
    if (!up) return null;
    return this.current!.targets.filter((t) => t.upstream === up.id).map((t) => ({
      id: t.id,
      target: t.target,
      weight: t.weight,
      tags: t.tags,
      upstream: { id: up.id },
      health: "HEALTHCHECKS_OFF" as const,
      data: {
        addresses: [
          {
            ip: t.target.split(":")[0]!,
            port: Number(t.target.split(":")[1]),
            weight: t.weight,
            health: "HEALTHCHECKS_OFF",
          },
        ],
      },
    }));
  }
  pluginRoutes() {
    return this.routes;
  }
  serverStats() {
    return {
      connectionsAccepted: 5,
      connectionsHandled: 5,
      connectionsActive: 1,
      connectionsReading: 0,
      connectionsWriting: 1,
      connectionsWaiting: 0,
      totalRequests: 42,
    };
  }
  availablePlugins() {
    return FAKE_PLUGINS.map((p) => ({ name: p.name, version: p.version, priority: p.priority }));
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function json(res: Awaited<ReturnType<typeof fetch>>): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

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

  it("pagination: size, offset, next", async () => {
    const first = await json(await fetch(`${base}/routes?size=1`));
    expect((first.data as unknown[]).length).toBe(1);
    expect(first.next).toMatch(/^\/routes\?size=1&offset=/);
    const second = await json(await fetch(`${base}${first.next as string}`));
    expect((second.data as unknown[]).length).toBe(1);
    expect(second.next).toBeNull();
    expect((second.data as Array<{ id: string }>)[0]!.id).not.toBe(
      (first.data as Array<{ id: string }>)[0]!.id,
    );
    const bad = await fetch(`${base}/routes?size=abc`);
    expect(bad.status).toBe(400);
    const tagged = await json(await fetch(`${base}/services?tags=team-a`));
    expect((tagged.data as Array<{ name: string }>).map((s) => s.name)).toEqual(["users"]);
  });

  it("entity writes are refused with Kong's DB-less error", async () => {
    const cases: Array<[string, string, string]> = [
      ["POST", "/services", "cannot create 'services' entities when not using a database"],
      ["PATCH", "/services/orders", "cannot update 'services' entities by 'name' when not using a database"],
      [
        "PUT",
        "/consumers/demo",
        "cannot create or update 'consumers' entities by 'username' when not using a database",
      ],
      [
        "DELETE",
        `/routes/${"a".repeat(8)}-aaaa-4aaa-8aaa-${"a".repeat(12)}`,
        "cannot remove 'routes' entities when not using a database",
      ],
      [
        "POST",
        "/consumers/demo/key-auth",
        "cannot create 'keyauth_credentials' entities when not using a database",
      ],
    ];
    for (const [method, path, message] of cases) {
      const res = await fetch(`${base}${path}`, { method, body: method === "DELETE" ? undefined : "{}" });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(await res.json()).toEqual({ code: 12, name: "operation unsupported", message });
    }
    const status = await fetch(`${base}/status`, { method: "POST" });
    expect(status.status).toBe(405);
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

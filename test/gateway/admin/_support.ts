/**
 * The Admin API's test setup: a real node:http server on 127.0.0.1:0 around
 * createAdminHandler, and a fake AdminState (the server's state is another area's; the Admin
 * API only reads and drives it) that applies documents through the real loader.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter } from "prom-client";
import { FormData, fetch } from "undici";
import { createAdminHandler } from "../../../src/gateway/admin/handler.js";
import type { AdminOptions, AdminState, AdminTargetHealth } from "../../../src/gateway/admin/types.js";
import { AdminRouteTable } from "../../../src/gateway/admin-routes.js";
import { type PluginLookup, parseDeclarativeConfig } from "../../../src/gateway/config/load.js";
import type { GatewayConfig } from "../../../src/gateway/config/types.js";
import { GatewayMetrics } from "../../../src/gateway/metrics.js";
import { FAKE_PLUGINS, fakeLookup } from "../support/config.js";

export const DOC = {
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

export class FakeState implements AdminState {
  readonly node = { node_id: "3b0f4c2e-0000-4000-8000-00000000abcd", version: "0.1.0", hostname: "gw-test" };
  readonly metrics = new GatewayMetrics();
  readonly routes = new AdminRouteTable();
  current: GatewayConfig | null = null;
  doc: Record<string, unknown> | null = null;
  applied = 0;

  /** `plugins`: the installed plugins (the tests' fakes unless a test needs real schemas). */
  constructor(private readonly plugins: PluginLookup = fakeLookup) {
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
    const r = parseDeclarativeConfig(input, { plugins: this.plugins, env: {} });
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
  plugin(name: string) {
    return this.plugins(name);
  }
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function json(res: Awaited<ReturnType<typeof fetch>>): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

/** An Admin API on 127.0.0.1 serving `state` with `doc` applied; its base URL and a close(). */
export async function startAdmin(
  state: FakeState,
  doc: object = DOC,
  opts: AdminOptions = {},
): Promise<{ base: string; close: () => Promise<void> }> {
  const applied = await state.apply(doc);
  if (!applied.ok) throw new Error(`test document invalid: ${applied.error.message}`);
  const server: Server = createServer(createAdminHandler(state, opts));
  const base = await listen(server);
  return { base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export interface WriteResult {
  status: number;
  body: Record<string, unknown> | undefined;
}

/**
 * Send a write to the Admin API at `base`: an object as JSON, a string as-is with `type`
 * (e.g. a url-encoded form), a FormData as multipart (fetch writes its boundary).
 */
export async function sendWrite(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  type = "application/json",
): Promise<WriteResult> {
  const multipart = body instanceof FormData;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined || multipart ? {} : { "content-type": type },
    body: body === undefined || multipart ? body : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}

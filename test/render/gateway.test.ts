import { readFileSync } from "node:fs";
import AjvDraft04Module from "ajv-draft-04";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseDeclarativeConfig } from "../../src/gateway/config/load.js";
import { loadPluginRegistry, type PluginRegistry } from "../../src/gateway/plugins/registry.js";
import { GATEWAY_CONFIG_FILE, type KongDeclarative } from "../../src/render/gateway.js";
import { gatewayEnvNames } from "../../src/stack/env-vars.js";
import { stackSchema } from "../../src/stack/schema.js";
import { starterStack } from "../../src/stack/starters.js";
import { ALL_ADDONS, microservicesStack, monolithStack, stackMatrix } from "./fixtures.js";
import { artifact, artifactsOf } from "./support.js";

const schemaPath = new URL("../conformance/kong-declarative.schema.json", import.meta.url);
/** ajv-draft-04 is CommonJS: its class is the `default` property under NodeNext typing. */
const AjvDraft04 = AjvDraft04Module.default;
const validateKong = new AjvDraft04({ strict: false, allErrors: true }).compile(
  JSON.parse(readFileSync(schemaPath, "utf8")),
);

type Stack = ReturnType<typeof monolithStack>;
const gatewayText = (stack: Stack) => artifact(artifactsOf(stack), GATEWAY_CONFIG_FILE).content;
const gatewayDoc = (stack: Stack) => parse(gatewayText(stack)) as KongDeclarative;

/** A value for every variable gateway.yaml references, as the gateway container gets them from .env. */
function envFor(stack: Stack): Record<string, string> {
  return Object.fromEntries(gatewayEnvNames(stack).map((name) => [name, `value-of-${name.toLowerCase()}`]));
}

let registry: PluginRegistry;
beforeAll(async () => {
  registry = await loadPluginRegistry();
});

describe("gateway.yaml", () => {
  for (const { label, stack } of stackMatrix()) {
    it(`validates against Kong's declarative schema and loads in the gateway: ${label}`, () => {
      const text = gatewayText(stack);
      const doc = parse(text) as KongDeclarative;
      validateKong(doc);
      expect(validateKong.errors ?? [], label).toEqual([]);
      expect(doc._format_version).toBe("3.0");

      const result = parseDeclarativeConfig(text, {
        env: envFor(stack),
        plugins: (name) => registry.get(name),
      });
      if (!result.ok) throw new Error(`${label}: ${JSON.stringify(result.error, null, 2)}`);
      const names = (xs: Array<{ name: string | null }>) => xs.map((x) => x.name);
      expect(names(result.config.upstreams)).toEqual(stack.services.map((s) => `${s.name}.upstream`));
      expect(result.config.routes.map((r) => r.name).sort()).toEqual(
        stack.services.flatMap((s) => s.routes.map((r) => r.name)).sort(),
      );
      // Vault references resolved from the environment, never written in the file.
      for (const cred of result.config.keyauth_credentials) expect(cred.key).toMatch(/^value-of-/);
    });
  }

  it("declares a service and an upstream per app, targets = the compose service, health checks on health_path", () => {
    const doc = gatewayDoc(microservicesStack());
    expect(doc.upstreams.map((u) => [u.name, u.targets])).toEqual([
      ["users.upstream", [{ target: "users:8000", weight: 100 }]],
      ["orders.upstream", [{ target: "orders:8000", weight: 100 }]],
      ["catalog.upstream", [{ target: "catalog:8080", weight: 100 }]],
    ]);
    const catalog = doc.upstreams[2]!.healthchecks as {
      active: { http_path: string };
      passive: { type: string };
    };
    expect(catalog.active.http_path).toBe("/healthz");
    expect(catalog.passive.type).toBe("http");
    const users = doc.services.find((s) => s.name === "users")!;
    expect(users).toMatchObject({ host: "users.upstream", port: 8000, protocol: "http" });
    expect(users.plugins).toEqual([{ name: "rate-limiting", config: { minute: 120, policy: "local" } }]);
  });

  it("fails over fast: short connect timeout, a dead replica ejected after one failure, probes every 2 s", () => {
    const doc = gatewayDoc(microservicesStack());
    for (const s of doc.services) expect(s.connect_timeout, s.name).toBe(2000);
    for (const u of doc.upstreams) {
      expect(u.healthchecks, u.name).toMatchObject({
        active: {
          timeout: 1,
          healthy: { interval: 2, successes: 1 },
          unhealthy: { interval: 2, tcp_failures: 1, timeouts: 1 },
        },
        passive: { unhealthy: { tcp_failures: 1, timeouts: 1, http_failures: 0 } },
      });
    }
    // what the gateway makes of it: passive and active checks on, with those thresholds
    const loaded = parseDeclarativeConfig(gatewayText(microservicesStack()), {
      env: envFor(microservicesStack()),
      plugins: (name) => registry.get(name),
    });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    const users = loaded.config.upstreams.find((u) => u.name === "users.upstream")!;
    expect(users.healthchecks.passive.unhealthy.tcp_failures).toBe(1);
    expect(users.healthchecks.active.unhealthy.interval).toBe(2);
    expect(loaded.config.services.every((s) => s.connect_timeout === 2000)).toBe(true);
  });

  it("copies routes field by field", () => {
    const doc = gatewayDoc(microservicesStack());
    const catalog = doc.services.find((s) => s.name === "catalog")!;
    expect(catalog.routes).toEqual([
      {
        name: "catalog",
        paths: ["/api/catalog"],
        hosts: ["shop.example.com"],
        headers: { "x-version": ["1"] },
        strip_path: true,
        preserve_host: false,
      },
    ]);
    const orders = doc.services.find((s) => s.name === "orders")!;
    expect(orders.routes).toEqual([
      {
        name: "orders",
        paths: ["/api/orders"],
        methods: ["GET", "POST"],
        strip_path: true,
        preserve_host: false,
      },
    ]);
  });

  it("gives a route with upstream_path its own service on the same upstream, with the app's plugins", () => {
    const doc = gatewayDoc(microservicesStack());
    const v2 = doc.services.find((s) => s.name === "orders-orders-v2")!;
    expect(v2).toMatchObject({ host: "orders.upstream", path: "/v2", plugins: [{ name: "jwt" }] });
    expect(v2.routes.map((r) => r.name)).toEqual(["orders-v2"]);
  });

  it("writes consumers with credentials as vault references and plugins at every scope", () => {
    const doc = gatewayDoc(microservicesStack());
    expect(doc.consumers).toEqual([
      {
        username: "mobile-app",
        custom_id: "m-1",
        keyauth_credentials: [{ key: "{vault://env/MOBILE_API_KEY}" }],
        jwt_secrets: [
          { key: "mobile-issuer", algorithm: "HS256", secret: "{vault://env/MOBILE_JWT_SECRET}" },
        ],
        basicauth_credentials: [{ username: "mobile", password: "{vault://env/MOBILE_PASSWORD}" }],
        acls: [{ group: "apps" }],
        plugins: [{ name: "rate-limiting", config: { minute: 600, policy: "local" } }],
      },
    ]);
    expect(doc.plugins).toEqual([
      { name: "correlation-id", config: { header_name: "X-Request-ID", generator: "uuid" } },
    ]);
    const mono = gatewayDoc(monolithStack());
    const admin = mono.services[0]!.routes.find((r) => r.name === "admin")!;
    expect(admin.plugins!.map((p) => p.name)).toEqual(["key-auth", "acl"]);
  });

  it("adds the prometheus plugin with the monitoring addon and http-log to Logstash with ELK", () => {
    expect(gatewayDoc(monolithStack()).plugins).toBeUndefined();
    const all = gatewayDoc(monolithStack({}, ALL_ADDONS)).plugins!;
    expect(all.map((p) => p.name)).toEqual(["prometheus", "http-log"]);
    expect(all[0]!.config).toMatchObject({
      status_code_metrics: true,
      latency_metrics: true,
      upstream_health_metrics: true,
    });
    expect(all[1]!.config).toMatchObject({ http_endpoint: "http://logstash:8080" });
    // A stack's own global http-log wins: no duplicate plugin on the global scope.
    const own = monolithStack(
      { gateway: { plugins: [{ name: "http-log", config: { http_endpoint: "http://collector:9000" } }] } },
      ALL_ADDONS,
    );
    expect(gatewayDoc(own).plugins!.filter((p) => p.name === "http-log")).toHaveLength(1);
  });

  it("writes no secret values", () => {
    const text = gatewayText(microservicesStack({}, ALL_ADDONS));
    expect(text).not.toMatch(/value-of-/);
    expect(text.match(/\{vault:\/\/env\//g)).toHaveLength(3);
  });
});

describe("gateway.yaml with several gateway replicas", () => {
  const STACK_REDIS = { host: "redis", port: 6379, password: "{vault://env/REDIS_PASSWORD}" };
  const starter = (template: "monolith" | "microservices") =>
    stackSchema.parse(
      starterStack({
        template,
        name: "shop",
        domain: "localhost",
        https: "internal",
        httpPort: 80,
        httpsPort: 443,
        addons: [],
      }),
    );
  /** One app whose only route carries `plugins`, with `replicas` gateways. */
  const withPlugins = (
    replicas: number,
    plugins: Array<{ name: "rate-limiting" | "response-ratelimiting" | "proxy-cache"; config: object }>,
    engine: "gatestack" | "kong" = "gatestack",
  ) =>
    monolithStack({
      gateway: { replicas, engine },
      services: [
        {
          name: "app",
          routes: [
            {
              name: "api",
              paths: ["/api"],
              plugins: plugins.map((p) => ({ ...p, config: { ...p.config } })),
            },
          ],
        },
      ],
      consumers: [],
    });
  const routePlugins = (stack: Stack) => gatewayDoc(stack).services[0]!.routes[0]!.plugins!;

  it("the microservices starter (2 replicas) counts and caches in the stack's Redis", () => {
    const stack = starter("microservices");
    expect(stack.gateway.replicas).toBe(2);
    const doc = gatewayDoc(stack);
    const plugins = Object.fromEntries(
      doc.services.flatMap((s) => s.plugins ?? []).map((p) => [p.name, p.config]),
    );
    expect(plugins["rate-limiting"]).toEqual({
      minute: 60,
      limit_by: "consumer",
      policy: "redis",
      redis: STACK_REDIS,
    });
    expect(plugins["proxy-cache"]).toMatchObject({ strategy: "redis", redis: STACK_REDIS, cache_ttl: 30 });
    // the gateway gets the password from .env, and loads the file with it
    expect(gatewayEnvNames(stack)).toContain("REDIS_PASSWORD");
    const result = parseDeclarativeConfig(gatewayText(stack), {
      env: envFor(stack),
      plugins: (name) => registry.get(name),
    });
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    const limiter = result.config.plugins.find((p) => p.name === "rate-limiting")!;
    expect((limiter.config as { redis: { password: string } }).redis.password).toBe(
      "value-of-redis_password",
    );
  });

  it("writes hmac-auth credentials with the secret as a vault reference the gateway loads", () => {
    const stack = monolithStack({
      consumers: [
        {
          username: "partner",
          credentials: { "hmac-auth": [{ username: "partner-signer", secret_env: "PARTNER_HMAC_SECRET" }] },
        },
      ],
    });
    expect(gatewayDoc(stack).consumers).toEqual([
      {
        username: "partner",
        hmacauth_credentials: [{ username: "partner-signer", secret: "{vault://env/PARTNER_HMAC_SECRET}" }],
      },
    ]);
    expect(gatewayEnvNames(stack)).toContain("PARTNER_HMAC_SECRET");
    const result = parseDeclarativeConfig(gatewayText(stack), {
      env: envFor(stack),
      plugins: (name) => registry.get(name),
    });
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    expect(result.config.hmacauth_credentials.map((c) => [c.username, c.secret])).toEqual([
      ["partner-signer", "value-of-partner_hmac_secret"],
    ]);
  });

  it("one replica keeps local state: the monolith starter names no Redis", () => {
    const stack = starter("monolith");
    expect(gatewayText(stack)).not.toContain("redis");
    expect(gatewayEnvNames(stack)).not.toContain("REDIS_PASSWORD");
    expect(routePlugins(withPlugins(1, [{ name: "rate-limiting", config: { minute: 5 } }]))).toEqual([
      { name: "rate-limiting", config: { minute: 5 } },
    ]);
    expect(routePlugins(withPlugins(1, [{ name: "proxy-cache", config: {} }]))).toEqual([
      { name: "proxy-cache", config: { strategy: "memory" } },
    ]);
  });

  it("response-ratelimiting counts in the stack's Redis with several replicas, locally with one", () => {
    const limits = { videos: { minute: 10 } };
    expect(routePlugins(withPlugins(2, [{ name: "response-ratelimiting", config: { limits } }]))).toEqual([
      { name: "response-ratelimiting", config: { limits, policy: "redis", redis: STACK_REDIS } },
    ]);
    expect(routePlugins(withPlugins(1, [{ name: "response-ratelimiting", config: { limits } }]))).toEqual([
      { name: "response-ratelimiting", config: { limits } },
    ]);
  });

  it("keeps an explicit local policy or memory strategy, and a Redis of the stack.yaml's own", () => {
    const own = { host: "cache.internal", port: 6380 };
    expect(
      routePlugins(
        withPlugins(3, [
          { name: "rate-limiting", config: { minute: 5, policy: "local" } },
          { name: "proxy-cache", config: { strategy: "redis", redis: own } },
        ]),
      ),
    ).toEqual([
      { name: "rate-limiting", config: { minute: 5, policy: "local" } },
      { name: "proxy-cache", config: { strategy: "redis", redis: own } },
    ]);
    // a partial redis record is completed with the stack's Redis
    expect(
      routePlugins(
        withPlugins(2, [{ name: "rate-limiting", config: { minute: 5, redis: { timeout: 500 } } }]),
      ),
    ).toEqual([
      {
        name: "rate-limiting",
        config: { minute: 5, policy: "redis", redis: { ...STACK_REDIS, timeout: 500 } },
      },
    ]);
  });

  it("with the kong engine: rate-limiting in Redis (Kong has the policy), proxy-cache in memory (Kong OSS has no redis strategy)", () => {
    const plugins = routePlugins(
      withPlugins(
        2,
        [
          { name: "rate-limiting", config: { minute: 5 } },
          { name: "proxy-cache", config: {} },
        ],
        "kong",
      ),
    );
    expect(plugins).toEqual([
      { name: "rate-limiting", config: { minute: 5, policy: "redis", redis: STACK_REDIS } },
      { name: "proxy-cache", config: { strategy: "memory" } },
    ]);
  });
});

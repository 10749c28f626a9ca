import { type StackConfig, type StackInput, stackSchema } from "../../src/stack/schema.js";

/**
 * stack.yaml models for render tests, built through the real schema (defaults applied),
 * shaped like the two starters: monolith = one app `app`; microservices = users, orders,
 * catalog. `addons` toggles every addon at once unless given per addon.
 */
export type AddonSelection = Partial<
  Record<"prometheus" | "grafana" | "elk" | "jenkins" | "manager", boolean | { port: number }>
>;

export const ALL_ADDONS: AddonSelection = { prometheus: true, grafana: true, elk: true, jenkins: true };

export function monolithStack(overrides: Partial<StackInput> = {}, addons: AddonSelection = {}): StackConfig {
  return stackSchema.parse({
    name: "shop",
    template: "monolith",
    services: [
      {
        name: "app",
        routes: [
          { name: "api", paths: ["/api"] },
          {
            name: "admin",
            paths: ["/api/admin"],
            plugins: [
              { name: "key-auth", config: { key_names: ["apikey", "X-Shop-Key"] } },
              { name: "acl", config: { allow: ["admins"] } },
            ],
          },
        ],
      },
    ],
    consumers: [
      {
        username: "demo",
        credentials: { "key-auth": [{ key_env: "DEMO_API_KEY" }] },
        acls: ["admins"],
      },
    ],
    addons: addonInput(addons),
    ...overrides,
  });
}

export function microservicesStack(
  overrides: Partial<StackInput> = {},
  addons: AddonSelection = {},
): StackConfig {
  return stackSchema.parse({
    name: "market",
    template: "microservices",
    gateway: {
      replicas: 2,
      plugins: [{ name: "correlation-id", config: { header_name: "X-Request-ID", generator: "uuid" } }],
    },
    services: [
      {
        name: "users",
        routes: [{ name: "users", paths: ["/api/users"] }],
        plugins: [{ name: "rate-limiting", config: { minute: 120, policy: "local" } }],
      },
      {
        name: "orders",
        replicas: 2,
        routes: [
          { name: "orders", paths: ["/api/orders"], methods: ["GET", "POST"] },
          { name: "orders-v2", paths: ["/api/v2/orders"], upstream_path: "/v2" },
        ],
        plugins: [{ name: "jwt", config: {} }],
      },
      {
        name: "catalog",
        port: 8080,
        health_path: "/healthz",
        env: { CATALOG_PAGE_SIZE: "50" },
        routes: [
          {
            name: "catalog",
            paths: ["/api/catalog"],
            hosts: ["shop.example.com"],
            headers: { "x-version": ["1"] },
          },
        ],
      },
    ],
    consumers: [
      {
        username: "mobile-app",
        custom_id: "m-1",
        credentials: {
          "key-auth": [{ key_env: "MOBILE_API_KEY" }],
          jwt: [{ key: "mobile-issuer", secret_env: "MOBILE_JWT_SECRET" }],
          "basic-auth": [{ username: "mobile", password_env: "MOBILE_PASSWORD" }],
        },
        acls: ["apps"],
        plugins: [{ name: "rate-limiting", config: { minute: 600, policy: "local" } }],
      },
    ],
    addons: addonInput(addons),
    ...overrides,
  });
}

function addonInput(addons: AddonSelection): Record<string, boolean | { enabled: boolean; port: number }> {
  return Object.fromEntries(
    Object.entries(addons).map(([k, v]) => [k, typeof v === "object" ? { enabled: true, port: v.port } : v]),
  );
}

/** Every combination the tests render: both templates × no addons / each addon alone / all, plus kong and https variants. */
export function stackMatrix(): Array<{ label: string; stack: StackConfig }> {
  const out: Array<{ label: string; stack: StackConfig }> = [];
  const selections: Array<[string, AddonSelection]> = [
    ["no addons", {}],
    ["prometheus", { prometheus: true }],
    ["grafana", { grafana: true }],
    ["monitoring", { prometheus: true, grafana: true }],
    ["elk", { elk: true }],
    ["jenkins", { jenkins: true }],
    ["all addons", ALL_ADDONS],
  ];
  for (const [name, selection] of selections) {
    out.push({ label: `monolith, ${name}`, stack: monolithStack({}, selection) });
    out.push({ label: `microservices, ${name}`, stack: microservicesStack({}, selection) });
  }
  out.push({
    label: "monolith, kong engine",
    stack: monolithStack({ gateway: { engine: "kong" } }, ALL_ADDONS),
  });
  out.push({
    label: "microservices, kong engine, tool ports",
    stack: microservicesStack(
      { gateway: { engine: "kong", replicas: 3 } },
      { prometheus: { port: 9090 }, grafana: { port: 3000 }, elk: { port: 5601 }, jenkins: { port: 8080 } },
    ),
  });
  out.push({
    label: "monolith, https off",
    stack: monolithStack({ https: "off", ports: { http: 8080 } }, ALL_ADDONS),
  });
  out.push({
    label: "monolith, real domain",
    stack: monolithStack({ domain: "api.example.com" }, ALL_ADDONS),
  });
  out.push({
    label: "microservices, real domain internal CA, https off ports",
    stack: microservicesStack({
      domain: "api.example.com",
      https: "internal",
      ports: { http: 8080, https: 8443, bind: "127.0.0.1" },
    }),
  });
  out.push({
    label: "monolith, real domain, https off",
    stack: monolithStack({ domain: "api.example.com", https: "off" }),
  });
  return out;
}

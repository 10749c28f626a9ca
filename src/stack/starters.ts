import type { AddonName, StackInput, TemplateName } from "./schema.js";

/** What `stack init` asks for; everything else comes from the template. */
export interface StarterOptions {
  template: TemplateName;
  name: string;
  domain: string;
  https: "auto" | "internal" | "off";
  httpPort: number;
  httpsPort: number;
  addons: readonly AddonName[];
}

type PluginInput = NonNullable<StackInput["gateway"]>["plugins"] extends (infer P)[] | undefined ? P : never;

/** Addons that need another one: grafana's dashboards read prometheus. */
export function withAddonDependencies(addons: readonly AddonName[]): AddonName[] {
  const set = new Set(addons);
  if (set.has("grafana")) set.add("prometheus");
  return (["prometheus", "grafana", "elk", "jenkins"] as const).filter((a) => set.has(a));
}

/** The stack.yaml content `stack init` writes for a template. */
export function starterStack(opts: StarterOptions): StackInput {
  const addons = withAddonDependencies(opts.addons);
  const on = (a: AddonName) => addons.includes(a);
  const body = opts.template === "monolith" ? monolith() : microservices();
  return {
    name: opts.name,
    template: opts.template,
    domain: opts.domain,
    https: opts.https,
    ports: { http: opts.httpPort, https: opts.httpsPort, bind: "0.0.0.0" },
    gateway: {
      engine: "gatestack",
      replicas: body.gatewayReplicas,
      plugins: globalPlugins(),
    },
    services: body.services,
    consumers: [{ username: "demo", credentials: { "key-auth": [{ key_env: "DEMO_API_KEY" }] } }],
    addons: {
      prometheus: on("prometheus"),
      grafana: on("grafana"),
      elk: on("elk"),
      jenkins: on("jenkins"),
    },
  };
}

/**
 * Global plugins of the starters. With addons.prometheus on, `stack render` adds the
 * prometheus plugin itself (per-route status, latency and upstream health metrics) unless
 * stack.yaml declares one, so the starter does not repeat it.
 */
function globalPlugins(): PluginInput[] {
  return [
    {
      name: "correlation-id",
      config: { header_name: "X-Request-ID", generator: "uuid", echo_downstream: true },
    },
  ];
}

function monolith(): { gatewayReplicas: number; services: StackInput["services"] } {
  return {
    gatewayReplicas: 1,
    services: [
      {
        name: "app",
        port: 8000,
        replicas: 1,
        health_path: "/health",
        routes: [
          { name: "api", paths: ["/api"], strip_path: true },
          {
            name: "api-private",
            paths: ["/api/private"],
            strip_path: true,
            upstream_path: "/private",
            plugins: [{ name: "key-auth" }],
          },
        ],
      },
    ],
  };
}

function microservices(): { gatewayReplicas: number; services: StackInput["services"] } {
  const service = (name: string, extra: { plugins?: PluginInput[] } = {}) => ({
    name,
    port: 8000,
    replicas: 1,
    health_path: "/health",
    routes: [{ name, paths: [`/api/${name}`], strip_path: true }],
    ...(extra.plugins ? { plugins: extra.plugins } : {}),
  });
  return {
    gatewayReplicas: 2,
    services: [
      service("users"),
      service("orders", {
        plugins: [
          { name: "key-auth" },
          // with 2 gateway replicas, counted in the stack's Redis (policy redis)
          { name: "rate-limiting", config: { minute: 60, limit_by: "consumer" } },
        ],
      }),
      service("catalog", {
        plugins: [
          {
            name: "proxy-cache",
            // with 2 gateway replicas, cached in the stack's Redis (strategy redis)
            config: {
              cache_ttl: 30,
              content_type: ["application/json"],
              request_method: ["GET", "HEAD"],
              response_code: [200],
            },
          },
        ],
      }),
    ],
  };
}

import { z } from "zod";
import { BUNDLED_PLUGIN_NAMES } from "../gateway/plugins/bundled.js";

/**
 * The stack.yaml model: the one file users edit. Everything `stack render` generates
 * derives from a parsed `StackConfig`. Descriptions here feed the published JSON Schema
 * (schema/stack.schema.json) that editors use and the README's stack.yaml reference,
 * so keep them user-facing.
 */

const DNS_LABEL = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$|^[a-z]$/;
// Case-insensitive by spelling out A-Z (not the /i flag) so the JSON Schema pattern agrees.
const HOSTNAME =
  /^(?=.{1,253}$)(\*\.)?(?!-)[a-zA-Z0-9-]{1,63}(?<!-)(\.(?!-)[a-zA-Z0-9-]{1,63}(?<!-))*$|^localhost$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** An image name without tag: `host[:port]/path` in lowercase (Docker's reference grammar, simplified). */
const IMAGE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

export const TEMPLATE_NAMES = ["monolith", "microservices"] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export const ADDON_NAMES = ["prometheus", "grafana", "elk", "jenkins"] as const;
export type AddonName = (typeof ADDON_NAMES)[number];

export const IMAGE_KEYS = [
  "caddy",
  "gateway",
  "kong",
  "python",
  "prometheus",
  "grafana",
  "elasticsearch",
  "logstash",
  "kibana",
  "jenkins",
  "redis",
  "postgres",
] as const;
export type ImageKey = (typeof IMAGE_KEYS)[number];

/** Where the gateway keeps its configuration: Kong's `database` setting. */
export const GATEWAY_DATABASES = ["off", "postgres"] as const;
export type GatewayDatabase = (typeof GATEWAY_DATABASES)[number];

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** Descriptions of .env variable name fields start with this, e.g. ".env variable (A-Z, 0-9, _) holding the API key." */
const envName = z
  .string()
  .regex(ENV_NAME, "must be an environment variable name (A-Z, 0-9, _), e.g. ALICE_API_KEY");
const ENV_VAR = ".env variable (A-Z, 0-9, _)";

const port = z.number().int().min(1).max(65535);

const urlPath = z
  .string()
  .refine((p) => p.startsWith("/"), "must start with '/'")
  .refine((p) => !/\s/.test(p), "must not contain whitespace");

const routePath = z
  .string()
  .refine((p) => p.startsWith("/") || p.startsWith("~/"), "must start with '/' (or '~/' for a regex path)");

/** The description of a plugin entry (the README reference documents plugin entries once, by it). */
export const PLUGIN_SPEC_DESCRIPTION = "A gateway plugin instance.";

export const pluginSpecSchema = z
  .strictObject({
    name: z.enum(BUNDLED_PLUGIN_NAMES).describe("Bundled gateway plugin name (Kong-compatible)."),
    enabled: z.boolean().default(true).describe("Set false to keep the entry but not run it."),
    config: z
      .record(z.string(), z.unknown())
      .default({})
      .describe("The plugin's Kong config fields; secrets as {vault://env/NAME} references."),
  })
  .describe(PLUGIN_SPEC_DESCRIPTION);
export type PluginSpec = z.infer<typeof pluginSpecSchema>;

const plugins = z.array(pluginSpecSchema).default([]);

export const routeSchema = z
  .strictObject({
    name: z
      .string()
      .regex(DNS_LABEL, "must be lowercase letters, digits and '-'")
      .describe("Route name (lowercase letters, digits, '-'), unique across the stack."),
    paths: z
      .array(routePath)
      .default([])
      .describe("Path prefixes (or ~regex) this route matches, e.g. /api/users."),
    hosts: z
      .array(z.string().regex(HOSTNAME, "must be a hostname (optionally *.wildcard)"))
      .default([])
      .describe("Host header values this route matches, *.wildcard allowed (empty: any host)."),
    methods: z
      .array(z.enum(HTTP_METHODS))
      .default([])
      .describe("HTTP methods this route matches (empty: any)."),
    headers: z
      .record(z.string(), z.array(z.string()).min(1))
      .default({})
      .describe("Request headers to match: header name → accepted values."),
    strip_path: z.boolean().default(true).describe("Remove the matched prefix before forwarding."),
    preserve_host: z
      .boolean()
      .default(false)
      .describe("Forward the client's Host header instead of the app's host name."),
    upstream_path: urlPath
      .optional()
      .describe("Path prefix the app receives for this route (default: the app's root)."),
    regex_priority: z
      .number()
      .int()
      .default(0)
      .describe("Order among regex paths: higher is tried first (`stack import openapi` sets 200/100)."),
    tags: z
      .array(
        z
          .string()
          .min(1)
          .refine((t) => !t.includes(",") && !t.includes("/"), "must not contain ',' or '/'"),
      )
      .default([])
      .describe("Kong tags on the route; `stack import openapi` marks its routes with `openapi`."),
    plugins: plugins.describe("Plugins applied to this route only."),
  })
  .refine((r) => r.paths.length + r.hosts.length + r.methods.length + Object.keys(r.headers).length > 0, {
    message: "a route needs at least one of paths, hosts, methods, headers",
  })
  .describe("A gateway route: which requests go to this service.");
export type RouteSpec = z.infer<typeof routeSchema>;

export const serviceSchema = z
  .strictObject({
    name: z
      .string()
      .regex(DNS_LABEL, "must be lowercase letters, digits and '-'")
      .describe(
        "Service name (lowercase letters, digits, '-'), unique; also its compose service and host name.",
      ),
    source: z
      .string()
      .optional()
      .describe("Folder with the FastAPI app and its Dockerfile (default services/<name>)."),
    port: port.default(8000).describe("Port uvicorn listens on in the container."),
    replicas: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(1)
      .describe("Number of app containers; the gateway balances across them."),
    health_path: urlPath.default("/health").describe("Path the healthchecks probe."),
    env: z
      .record(z.string().regex(ENV_NAME), z.string())
      .default({})
      .describe("Extra non-secret environment, e.g. ROOT_PATH for the app's docs behind the gateway."),
    routes: z
      .array(routeSchema)
      .min(1, "a service needs at least one route")
      .describe("Gateway routes to it."),
    plugins: plugins.describe("Plugins applied to every route of this service."),
  })
  .describe("A FastAPI app behind the gateway.");
export type ServiceSpec = z.infer<typeof serviceSchema>;

export const consumerSchema = z
  .strictObject({
    username: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9._@-]+$/, "letters, digits, . _ @ - only")
      .describe("Consumer name (letters, digits, . _ @ -), unique; sent to apps as X-Consumer-Username."),
    custom_id: z.string().optional().describe("Your own id for this consumer, sent as X-Consumer-Custom-ID."),
    credentials: z
      .strictObject({
        "key-auth": z
          .array(
            z
              .strictObject({ key_env: envName.describe(`${ENV_VAR} holding the API key.`) })
              .describe("An API key."),
          )
          .default([])
          .describe("API keys for the key-auth plugin."),
        jwt: z
          .array(
            z
              .strictObject({
                key: z.string().min(1).describe("The value of the token's key claim (iss by default)."),
                algorithm: z
                  .enum(["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384"])
                  .default("HS256")
                  .describe("Signing algorithm."),
                secret_env: envName.optional().describe(`${ENV_VAR} holding the HMAC secret (HS*).`),
                rsa_public_key_env: envName
                  .optional()
                  .describe(`${ENV_VAR} holding the PEM public key (RS*/ES*).`),
              })
              .describe("A JWT signing credential."),
          )
          .default([])
          .describe("JWT credentials for the jwt plugin."),
        "basic-auth": z
          .array(
            z
              .strictObject({
                username: z.string().min(1).describe("Basic auth user name."),
                password_env: envName.describe(`${ENV_VAR} holding the password.`),
              })
              .describe("A user name and password."),
          )
          .default([])
          .describe("Passwords for the basic-auth plugin."),
        "hmac-auth": z
          .array(
            z
              .strictObject({
                username: z.string().min(1).describe("The username the client signs requests as."),
                secret_env: envName.describe(`${ENV_VAR} holding the shared HMAC secret.`),
              })
              .describe("An HMAC signing credential."),
          )
          .default([])
          .describe("Signing secrets for the hmac-auth plugin."),
        oauth2: z
          .array(
            z
              .strictObject({
                name: z.string().min(1).describe("The application's name."),
                client_id: z
                  .string()
                  .min(1)
                  .optional()
                  .describe("The application's client_id, when it is not secret (else client_id_env)."),
                client_id_env: envName
                  .optional()
                  .describe(`${ENV_VAR} holding the client_id (generated by stack init).`),
                client_secret_env: envName.describe(`${ENV_VAR} holding the client secret.`),
                redirect_uris: z
                  .array(
                    z
                      .string()
                      .regex(
                        /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/#\s]+[^#\s]*$/,
                        "must be an absolute URL without a fragment, e.g. https://app.example.com/callback",
                      ),
                  )
                  .default([])
                  .describe("Where /oauth2/authorize may send the user back (absolute URLs, no fragment)."),
                hash_secret: z
                  .boolean()
                  .default(false)
                  .describe("Store the client secret as Kong's PBKDF2 hash (database mode)."),
              })
              .describe("An OAuth 2.0 client application."),
          )
          .default([])
          .describe("Applications for the oauth2 plugin (needs gateway.database postgres)."),
      })
      .default({ "key-auth": [], jwt: [], "basic-auth": [], "hmac-auth": [], oauth2: [] })
      .describe("Credentials; secrets are never inline, only names of .env variables."),
    acls: z.array(z.string().min(1)).default([]).describe("ACL groups this consumer belongs to."),
    plugins: plugins.describe("Plugins applied to this consumer's requests."),
  })
  .describe("An API client the gateway can identify.");
export type ConsumerSpec = z.infer<typeof consumerSchema>;

const addonToggle = (what: string) =>
  z
    .union([
      z.boolean(),
      z.strictObject({
        enabled: z.boolean().default(true).describe("Run this addon."),
        port: port.optional().describe("Publish on 127.0.0.1:<port> as well."),
      }),
    ])
    .default(false)
    .transform((v) => (typeof v === "boolean" ? { enabled: v } : v))
    .describe(`${what}: true/false, or {enabled, port}.`);
export type AddonSettings = { enabled: boolean; port?: number | undefined };

const DEFAULT_TRUSTED_IPS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

export const stackSchema = z
  .strictObject({
    name: z
      .string()
      .regex(DNS_LABEL, "must be lowercase letters, digits and '-', starting with a letter")
      .describe(
        "Project name (lowercase letters, digits, '-'): the Docker Compose project and app image prefix.",
      ),
    template: z.enum(TEMPLATE_NAMES).describe("The starter this stack was created from."),
    domain: z
      .string()
      .regex(HOSTNAME, "must be a hostname such as localhost or api.example.com")
      .default("localhost")
      .describe("Site address Caddy serves: localhost or a hostname such as api.example.com."),
    https: z
      .enum(["auto", "internal", "off"])
      .default("auto")
      .describe(
        "auto: Let's Encrypt for real domains, Caddy's internal CA for localhost; internal: always the internal CA; off: plain HTTP.",
      ),
    ports: z
      .strictObject({
        http: port.default(80).describe("Host port for HTTP."),
        https: port.default(443).describe("Host port for HTTPS."),
        bind: z.string().default("0.0.0.0").describe("Host address Caddy's ports are published on."),
      })
      .default({ http: 80, https: 443, bind: "0.0.0.0" })
      .describe("Host ports Caddy publishes (the only published ports)."),
    gateway: z
      .strictObject({
        engine: z
          .enum(["gatestack", "kong"])
          .default("gatestack")
          .describe("gatestack: our gateway image; kong: the official kong image."),
        database: z
          .enum(GATEWAY_DATABASES)
          .default("off")
          .describe(
            "off: DB-less, every replica serves the rendered gateway.yaml; postgres: Kong's database mode — the stack runs a PostgreSQL, migrates it before the gateways start, and Admin API writes reach every replica (compose target only).",
          ),
        replicas: z.number().int().min(1).max(16).default(1).describe("Number of gateway containers."),
        trusted_ips: z
          .array(z.string())
          .default(DEFAULT_TRUSTED_IPS)
          .describe("Proxies whose X-Forwarded-* headers the gateway trusts (Caddy's network)."),
        plugins: plugins.describe("Global plugins, applied to every route."),
      })
      .default({
        engine: "gatestack",
        database: "off",
        replicas: 1,
        trusted_ips: DEFAULT_TRUSTED_IPS,
        plugins: [],
      })
      .describe("The API gateway between Caddy and the apps."),
    services: z
      .array(serviceSchema)
      .min(1, "a stack needs at least one service")
      .describe("The FastAPI apps."),
    consumers: z.array(consumerSchema).default([]).describe("API clients and their credentials."),
    portal: z
      .boolean()
      .default(false)
      .describe(
        "Developer portal at /portal: every service's API from its app's OpenAPI document (/openapi.json), with the gateway's paths and authentication, tried through the gateway. No login: it is for API consumers (gateway.engine gatestack).",
      ),
    addons: z
      .strictObject({
        prometheus: addonToggle("Prometheus scraping Caddy and the gateway (which measures the apps)"),
        grafana: addonToggle("Grafana with a gateway dashboard (needs prometheus)"),
        elk: addonToggle("Elasticsearch, Logstash and Kibana receiving the gateway's logs"),
        jenkins: addonToggle("Jenkins with a pipeline that validates and deploys the gateway config"),
        manager: z
          .union([z.boolean(), z.strictObject({ enabled: z.boolean().default(true).describe("Run it.") })])
          .default(false)
          .transform((v) => (typeof v === "boolean" ? { enabled: v } : v))
          .describe(
            "The gateway manager at /gateway: a web UI over the Admin API (overview, services, routes, plugins, consumers, upstreams, live access log) behind the tools' basic auth, then a login with GATEWAY_ADMIN_TOKEN; read-only in DB-less mode (gateway.engine gatestack): true/false, or {enabled}.",
          ),
      })
      .default({
        prometheus: { enabled: false },
        grafana: { enabled: false },
        elk: { enabled: false },
        jenkins: { enabled: false },
        manager: { enabled: false },
      })
      .describe("Optional tools beside the stack."),
    images: z
      .strictObject(
        Object.fromEntries(
          IMAGE_KEYS.map((k) => [k, z.string().min(1).optional().describe(`Image for ${k}.`)]),
        ) as Record<ImageKey, z.ZodOptional<z.ZodString>>,
      )
      .default({})
      .describe("Override the image used for a component (e.g. a local mirror)."),
    kubernetes: z
      .strictObject({
        registry: z
          .string()
          .regex(IMAGE_REPOSITORY, "must be an image repository prefix such as registry.example.com/shop")
          .optional()
          .describe(
            "Registry (and path) the cluster pulls the images the stack builds from (the apps, gatestack's gateway), e.g. registry.example.com/shop.",
          ),
        service_monitor: z
          .boolean()
          .default(false)
          .describe("Also write a Prometheus Operator ServiceMonitor for Caddy and the gateway."),
      })
      .default({ service_monitor: false })
      .describe("`stack render --target kubernetes`: the Kustomize base in deploy/kubernetes."),
  })
  .describe("gatestack stack.yaml");

/** A validated stack.yaml with all defaults applied. */
export type StackConfig = z.infer<typeof stackSchema>;
/** What a user may write (defaults optional). */
export type StackInput = z.input<typeof stackSchema>;

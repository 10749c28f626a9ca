import { GatestackError } from "../errors.js";
import { gatewayServiceName } from "../stack/model.js";
import type { ConsumerSpec, PluginSpec, RouteSpec, ServiceSpec, StackConfig } from "../stack/schema.js";
import { effectivePluginConfig } from "../stack/shared-state.js";
import { toYaml } from "./serialize.js";
import { enabledAddons, PORTS, vaultRef } from "./topology.js";
import type { Artifact } from "./types.js";

export const GATEWAY_CONFIG_FILE = "config/gateway/gateway.yaml";

/**
 * Where the file runs: the host name that resolves to every replica of an app (compose: the
 * service name, one A record per container; Swarm: `tasks.<service>`, one per task).
 */
export interface GatewayConfigTarget {
  path: string;
  appHost: (service: string) => string;
}

export const COMPOSE_GATEWAY_TARGET: GatewayConfigTarget = {
  path: GATEWAY_CONFIG_FILE,
  appHost: (service) => service,
};

/** Where the ELK addon's Logstash receives the gateway's http-log entries. */
export const LOGSTASH_HTTP_ENDPOINT = `http://logstash:${PORTS.logstashHttp}`;

/** Kong declarative entities, as written (only the fields gatestack sets). */
interface KongPlugin {
  name: string;
  enabled?: false;
  config?: Record<string, unknown>;
}
interface KongRoute {
  name: string;
  paths?: string[];
  hosts?: string[];
  methods?: string[];
  headers?: Record<string, string[]>;
  strip_path: boolean;
  preserve_host: boolean;
  regex_priority?: number;
  tags?: string[];
  plugins?: KongPlugin[];
}
interface KongService {
  name: string;
  protocol: "http";
  host: string;
  port: number;
  path?: string;
  connect_timeout: number;
  routes: KongRoute[];
  plugins?: KongPlugin[];
}
interface KongUpstream {
  name: string;
  algorithm: "round-robin";
  healthchecks: Record<string, unknown>;
  targets: Array<{ target: string; weight: number }>;
}
interface KongConsumer {
  username: string;
  custom_id?: string;
  keyauth_credentials?: Array<{ key: string }>;
  jwt_secrets?: Array<{ key: string; algorithm: string; secret: string; rsa_public_key?: string }>;
  basicauth_credentials?: Array<{ username: string; password: string }>;
  hmacauth_credentials?: Array<{ username: string; secret: string }>;
  oauth2_credentials?: Array<{
    name: string;
    client_id: string;
    client_secret: string;
    redirect_uris?: string[];
    hash_secret?: true;
  }>;
  acls?: Array<{ group: string }>;
  plugins?: KongPlugin[];
}
export interface KongDeclarative {
  _format_version: "3.0";
  services: KongService[];
  upstreams: KongUpstream[];
  consumers?: KongConsumer[];
  plugins?: KongPlugin[];
}

/** Kong upstream name of an app: services point their `host` at it, targets are the app's replicas. */
export function upstreamName(service: Pick<ServiceSpec, "name">): string {
  return `${service.name}.upstream`;
}

/**
 * Connect timeout of every app service, ms. Inside the compose network a connect takes well
 * under a millisecond; a stopped replica's address stops answering (the connect would hang
 * until EHOSTUNREACH after ~3 s, Kong's default waits 60 s), so 2 s bounds what one request
 * pays before it is retried on the next replica.
 */
export const APP_CONNECT_TIMEOUT_MS = 2000;

/** How often the gateway probes each replica's health_path, seconds (active checks). */
export const APP_HEALTHCHECK_INTERVAL_S = 2;

/**
 * config/gateway/gateway.yaml — Kong `_format_version: "3.0"` DB-less config, valid for
 * Kong itself and for the gatestack gateway:
 *  - per app: an upstream (target `<service>:<port>`; Docker DNS returns one address per
 *    replica and the gateway expands it into one balancer entry each) with active health
 *    checks on the app's health_path and passive ones on connection failures, and a Kong
 *    service on that upstream holding the app's routes;
 *  - a route with `upstream_path` gets its own Kong service (`<app>-<route>`, path =
 *    upstream_path, same upstream, same service plugins);
 *  - plugins at global / service / route / consumer scope, with their effective config (with
 *    several replicas, rate-limiting and proxy-cache keep their state in the stack's Redis);
 *    the monitoring addon adds a
 *    global `prometheus` plugin, the ELK addon a global `http-log` to Logstash (unless
 *    stack.yaml declares its own global one);
 *  - consumer secrets only as `{vault://env/NAME}` references.
 */
export function buildGatewayConfig(
  stack: StackConfig,
  target: GatewayConfigTarget = COMPOSE_GATEWAY_TARGET,
): KongDeclarative {
  const services: KongService[] = [];
  const upstreams: KongUpstream[] = [];

  for (const app of stack.services) {
    const host = upstreamName(app);
    upstreams.push(upstreamFor(app, target.appHost(app.name)));
    const servicePlugins = pluginList(stack, app.plugins);
    const main: KongService = {
      name: app.name,
      protocol: "http",
      host,
      port: app.port,
      connect_timeout: APP_CONNECT_TIMEOUT_MS,
      routes: [],
    };
    services.push(main);
    for (const route of app.routes) {
      if (route.upstream_path === undefined) {
        main.routes.push(kongRoute(stack, route));
        continue;
      }
      services.push({
        name: gatewayServiceName(app, route),
        protocol: "http",
        host,
        port: app.port,
        path: route.upstream_path,
        connect_timeout: APP_CONNECT_TIMEOUT_MS,
        routes: [kongRoute(stack, route)],
        ...withPlugins(servicePlugins),
      });
    }
    Object.assign(main, withPlugins(servicePlugins));
  }

  const config: KongDeclarative = {
    _format_version: "3.0",
    services: services.filter((s) => s.routes.length > 0),
    upstreams,
  };
  const consumers = stack.consumers.map((c) => kongConsumer(stack, c));
  if (consumers.length > 0) config.consumers = consumers;
  const globals = globalPlugins(stack);
  if (globals.length > 0) config.plugins = globals;
  return config;
}

export function renderGatewayConfig(
  stack: StackConfig,
  target: GatewayConfigTarget = COMPOSE_GATEWAY_TARGET,
): Artifact {
  return { path: target.path, content: toYaml(buildGatewayConfig(stack, target)) };
}

/**
 * An app's upstream. A replica that stops is taken out of the rotation after ONE failed
 * connection (passive tcp_failures / timeouts = 1; every connection error counts, and the
 * request itself is retried on the next replica), or within one probe interval when no
 * traffic comes (active checks every 2 s on health_path, one tcp failure or timeout). A
 * replica back up is healthy again after one good probe. Two HTTP error answers in a row
 * from health_path also take it out; error answers of ordinary requests do not.
 */
function upstreamFor(app: ServiceSpec, host: string): KongUpstream {
  const interval = APP_HEALTHCHECK_INTERVAL_S;
  return {
    name: upstreamName(app),
    algorithm: "round-robin",
    healthchecks: {
      active: {
        type: "http",
        http_path: app.health_path,
        timeout: 1,
        concurrency: 10,
        healthy: { interval, successes: 1 },
        unhealthy: { interval, http_failures: 2, tcp_failures: 1, timeouts: 1 },
      },
      passive: {
        type: "http",
        healthy: { successes: 1 },
        unhealthy: { http_failures: 0, tcp_failures: 1, timeouts: 1 },
      },
    },
    targets: [{ target: `${host}:${app.port}`, weight: 100 }],
  };
}

function kongRoute(stack: StackConfig, route: RouteSpec): KongRoute {
  return {
    name: route.name,
    ...(route.paths.length > 0 ? { paths: route.paths } : {}),
    ...(route.hosts.length > 0 ? { hosts: route.hosts } : {}),
    ...(route.methods.length > 0 ? { methods: route.methods } : {}),
    ...(Object.keys(route.headers).length > 0 ? { headers: route.headers } : {}),
    strip_path: route.strip_path,
    preserve_host: route.preserve_host,
    ...(route.regex_priority !== 0 ? { regex_priority: route.regex_priority } : {}),
    ...(route.tags.length > 0 ? { tags: route.tags } : {}),
    ...withPlugins(pluginList(stack, route.plugins)),
  };
}

/** Plugin entries with their effective config (shared-state.ts: replicas share state in the stack's Redis). */
function pluginList(stack: StackConfig, plugins: PluginSpec[]): KongPlugin[] {
  return plugins.map((p) => {
    const out: KongPlugin = { name: p.name };
    if (!p.enabled) out.enabled = false;
    const config = effectivePluginConfig(stack, p);
    if (Object.keys(config).length > 0) out.config = config;
    return out;
  });
}

function withPlugins(plugins: KongPlugin[]): { plugins?: KongPlugin[] } {
  return plugins.length > 0 ? { plugins } : {};
}

function kongConsumer(stack: StackConfig, consumer: ConsumerSpec): KongConsumer {
  const out: KongConsumer = { username: consumer.username };
  if (consumer.custom_id !== undefined) out.custom_id = consumer.custom_id;
  const { "key-auth": keyAuth, jwt, "basic-auth": basicAuth, "hmac-auth": hmacAuth } = consumer.credentials;
  if (keyAuth.length > 0) out.keyauth_credentials = keyAuth.map((c) => ({ key: vaultRef(c.key_env) }));
  if (jwt.length > 0) {
    out.jwt_secrets = jwt.map((c) => {
      const publicKey = c.rsa_public_key_env === undefined ? undefined : vaultRef(c.rsa_public_key_env);
      // Kong's schema requires `secret`; asymmetric algorithms never read it, so without a
      // secret_env the (non-secret) public key reference fills it.
      const secret = c.secret_env === undefined ? publicKey : vaultRef(c.secret_env);
      if (secret === undefined) {
        // stack.yaml checks (jwtKeys) require secret_env for HS*, rsa_public_key_env for RS*/ES*.
        throw new GatestackError("E_INTERNAL", `jwt credential "${c.key}" names no .env variable`);
      }
      return {
        key: c.key,
        algorithm: c.algorithm,
        secret,
        ...(publicKey === undefined ? {} : { rsa_public_key: publicKey }),
      };
    });
  }
  if (basicAuth.length > 0) {
    out.basicauth_credentials = basicAuth.map((c) => ({
      username: c.username,
      password: vaultRef(c.password_env),
    }));
  }
  if (hmacAuth.length > 0) {
    out.hmacauth_credentials = hmacAuth.map((c) => ({
      username: c.username,
      secret: vaultRef(c.secret_env),
    }));
  }
  if (consumer.credentials.oauth2.length > 0) {
    out.oauth2_credentials = consumer.credentials.oauth2.map((c) => {
      // stack.yaml checks (oauth2Clients) require client_id or client_id_env.
      const clientId = c.client_id_env === undefined ? c.client_id : vaultRef(c.client_id_env);
      if (clientId === undefined)
        throw new GatestackError("E_INTERNAL", `oauth2 credential "${c.name}" has no client_id`);
      return {
        name: c.name,
        client_id: clientId,
        client_secret: vaultRef(c.client_secret_env),
        ...(c.redirect_uris.length > 0 ? { redirect_uris: c.redirect_uris } : {}),
        ...(c.hash_secret ? { hash_secret: true as const } : {}),
      };
    });
  }
  if (consumer.acls.length > 0) out.acls = consumer.acls.map((group) => ({ group }));
  return Object.assign(out, withPlugins(pluginList(stack, consumer.plugins)));
}

function globalPlugins(stack: StackConfig): KongPlugin[] {
  const plugins = pluginList(stack, stack.gateway.plugins);
  const declared = new Set(plugins.map((p) => p.name));
  const addons = enabledAddons(stack);
  if (addons.prometheus && !declared.has("prometheus")) {
    plugins.push({
      name: "prometheus",
      config: {
        status_code_metrics: true,
        latency_metrics: true,
        bandwidth_metrics: true,
        upstream_health_metrics: true,
      },
    });
  }
  if (addons.elk && !declared.has("http-log")) {
    plugins.push({
      name: "http-log",
      config: { http_endpoint: LOGSTASH_HTTP_ENDPOINT, method: "POST", content_type: "application/json" },
    });
  }
  return plugins;
}

import { GatestackError } from "../errors.js";
import { pluginScopesOf } from "../stack/checks.js";
import type { AddonName, PluginSpec, ServiceSpec, StackConfig } from "../stack/schema.js";

/**
 * Facts about the generated topology that several generators share: compose service
 * names, in-container ports, the public site URL, tool routes behind Caddy, and the .env
 * variables each container receives. One place, so compose.yaml, the Caddyfile,
 * gateway.yaml and prometheus.yml cannot disagree.
 */

/** Compose profiles the addons live under (`stack up --profile …`, `docker compose --profile …`) and their services. */
export const ADDON_PROFILES = {
  monitoring: ["prometheus", "grafana"],
  logging: ["elasticsearch", "logstash", "kibana"],
  ci: ["jenkins"],
} as const;

/** Compose service names the stack itself uses; an app may not take one of them. */
export const RESERVED_SERVICE_NAMES: readonly string[] = [
  "caddy",
  "gateway",
  ...Object.values(ADDON_PROFILES).flat(),
];

/** Ports inside the containers (never published, except Caddy's 80/443). */
export const PORTS = {
  caddyHttp: 80,
  caddyHttps: 443,
  /** Caddy's internal listener: /metrics for Prometheus and /healthz for the healthcheck. */
  caddyInternal: 9180,
  caddyAdmin: 2019,
  gatewayProxy: 8000,
  gatewayAdmin: 8001,
  gatewayStatus: 8100,
  prometheus: 9090,
  grafana: 3000,
  elasticsearch: 9200,
  logstashHttp: 8080,
  logstashApi: 9600,
  kibana: 5601,
  jenkins: 8080,
} as const;

/** Where the gateway reads its declarative config inside its container. */
export const GATEWAY_CONFIG_PATH = "/etc/gateway/gateway.yaml";

export type EnabledAddons = Record<AddonName, boolean>;

export function enabledAddons(stack: StackConfig): EnabledAddons {
  return {
    prometheus: stack.addons.prometheus.enabled,
    grafana: stack.addons.grafana.enabled,
    elk: stack.addons.elk.enabled,
    jenkins: stack.addons.jenkins.enabled,
  };
}

/** Caddy serves HTTPS (automatic or internal CA) unless `https: off`. */
export function httpsEnabled(stack: StackConfig): boolean {
  return stack.https !== "off";
}

export function isLocalDomain(domain: string): boolean {
  return domain === "localhost" || domain.endsWith(".localhost");
}

/** The public base URL of the site, as a browser on the host reaches it (no trailing slash). */
export function siteUrl(stack: StackConfig): string {
  if (httpsEnabled(stack)) {
    const port = stack.ports.https === 443 ? "" : `:${stack.ports.https}`;
    return `https://${stack.domain}${port}`;
  }
  const port = stack.ports.http === 80 ? "" : `:${stack.ports.http}`;
  return `http://${stack.domain}${port}`;
}

/** Folder (relative to the stack dir) holding a service's app and Dockerfile. */
export function serviceSource(service: ServiceSpec): string {
  return trimSlashes(service.source ?? `services/${service.name}`);
}

/**
 * The path prefix clients use for a service, which the gateway strips before forwarding:
 * the app's ROOT_PATH (so FastAPI serves its OpenAPI under the public prefix). It is the
 * first plain path of the first stripping route without an upstream_path; "" when the app
 * sees the public path unchanged.
 */
export function publicPrefix(service: ServiceSpec): string {
  for (const route of service.routes) {
    if (!route.strip_path || route.upstream_path !== undefined) continue;
    const plain = route.paths.find((p) => !p.startsWith("~"));
    if (plain !== undefined) return plain === "/" ? "" : plain.replace(/\/+$/, "");
  }
  return "";
}

/** Compose's container name for replica `index` (1-based) of a service: `<project>-<service>-<index>`. */
export function replicaContainerName(project: string, service: string, index: number): string {
  return `${project}-${service}-${index}`;
}

/** A tool UI reached through Caddy under a path, behind basic auth. */
export interface ToolRoute {
  /** Public path without trailing slash, e.g. /grafana */
  path: string;
  /** Compose service and port, e.g. grafana:3000 */
  upstream: string;
  /** Strip the path prefix before proxying (the tool serves at its root). */
  strip: boolean;
}

export function toolRoutes(stack: StackConfig): ToolRoute[] {
  const addons = enabledAddons(stack);
  const routes: ToolRoute[] = [];
  if (addons.grafana) routes.push({ path: "/grafana", upstream: `grafana:${PORTS.grafana}`, strip: false });
  if (addons.elk) routes.push({ path: "/kibana", upstream: `kibana:${PORTS.kibana}`, strip: false });
  if (addons.jenkins) routes.push({ path: "/jenkins", upstream: `jenkins:${PORTS.jenkins}`, strip: false });
  if (addons.prometheus)
    routes.push({ path: "/prometheus", upstream: `prometheus:${PORTS.prometheus}`, strip: true });
  return routes;
}

/** `{vault://env/NAME}`: how gateway.yaml references a secret held in the gateway's environment. */
export function vaultRef(envName: string): string {
  return `{vault://env/${envName}}`;
}

const VAULT_ENV_REF = /\{vault:\/\/env\/([A-Za-z0-9_-]+)\}/g;

/**
 * Names of the .env variables the gateway container needs: every consumer credential and
 * every `{vault://env/NAME}` reference written inside plugin configs. Kong's env vault
 * upper-cases the name and maps '-' to '_'; the variable name follows the same rule.
 */
export function gatewaySecretEnvNames(stack: StackConfig): string[] {
  const names = new Set<string>();
  for (const consumer of stack.consumers) {
    for (const c of consumer.credentials["key-auth"]) names.add(c.key_env);
    for (const c of consumer.credentials.jwt) {
      if (c.secret_env) names.add(c.secret_env);
      if (c.rsa_public_key_env) names.add(c.rsa_public_key_env);
    }
    for (const c of consumer.credentials["basic-auth"]) names.add(c.password_env);
  }
  for (const { config } of allPlugins(stack)) {
    for (const match of JSON.stringify(config).matchAll(VAULT_ENV_REF)) {
      names.add(match[1]!.toUpperCase().replaceAll("-", "_"));
    }
  }
  return [...names].sort();
}

/** Every plugin entry of the stack, at every scope (global, service, route, consumer). */
export function allPlugins(stack: StackConfig): PluginSpec[] {
  return pluginScopesOf(stack).flatMap((scope) => scope.plugins);
}

/** `${NAME}`: compose interpolation of a variable from .env. */
export function envInterpolation(name: string): string {
  return `\${${name}}`;
}

/** Refuse app names that collide with the stack's own compose services. */
export function assertNoReservedNames(stack: StackConfig): void {
  stack.services.forEach((service, i) => {
    if (RESERVED_SERVICE_NAMES.includes(service.name)) {
      throw new GatestackError(
        "E_STACK_INVALID",
        `service name "${service.name}" is used by the stack itself`,
        {
          place: `services[${i}].name`,
          hint: `choose another name; reserved: ${RESERVED_SERVICE_NAMES.join(", ")}`,
        },
      );
    }
  });
}

function trimSlashes(p: string): string {
  return p.replace(/^\.\//, "").replace(/\/+$/, "");
}

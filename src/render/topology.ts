import { toolUis } from "../stack/components.js";
import { pluginScopesOf } from "../stack/model.js";
import type { AddonName, PluginSpec, ServiceSpec, StackConfig } from "../stack/schema.js";

/**
 * Facts about the generated topology that several generators share: compose service
 * names, in-container ports, the public site URL and tool routes behind Caddy. One place,
 * so compose.yaml, the Caddyfile, gateway.yaml and prometheus.yml cannot disagree. The
 * .env variables each container receives come from the stack's own list (stack/env-vars.ts).
 */

export { ADDON_PROFILES, RESERVED_SERVICE_NAMES, serviceSource } from "../stack/components.js";

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
  /** the gateway manager (stack.yaml `addons.manager`; Kong's admin_gui_listen port) */
  gatewayGui: 8002,
  /** the developer portal (stack.yaml `portal: true`; Kong's portal_gui_listen port) */
  gatewayPortal: 8003,
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
  return toolUis(stack).map((tool) => ({
    path: tool.path,
    upstream: `${tool.service}:${tool.service === "gateway" ? PORTS.gatewayGui : PORTS[tool.service]}`,
    strip: tool.strip,
  }));
}

/** `{vault://env/NAME}`: how gateway.yaml references a secret held in the gateway's environment. */
export { envVaultRef as vaultRef } from "../gateway/config/vault.js";

/** Every plugin entry of the stack, at every scope (global, service, route, consumer). */
export function allPlugins(stack: StackConfig): PluginSpec[] {
  return pluginScopesOf(stack).flatMap((scope) => scope.plugins);
}

/** `${NAME}`: compose interpolation of a variable from .env. */
export function envInterpolation(name: string): string {
  return `\${${name}}`;
}

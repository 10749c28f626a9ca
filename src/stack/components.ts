import type { ServiceSpec, StackConfig } from "./schema.js";

/**
 * The stack's components, as far as stack.yaml rules depend on them: where each app's
 * folder is, the compose services gatestack runs beside the apps (their names are taken)
 * and the tool UIs Caddy serves behind basic auth (they decide which .env variables are
 * needed). Render builds compose.yaml, the Caddyfile and the Jenkinsfile from the same facts.
 */

/** Folder (relative to the stack dir) holding an app and its Dockerfile. */
export function serviceSource(service: ServiceSpec): string {
  return (service.source ?? `services/${service.name}`).replace(/^\.\//, "").replace(/\/+$/, "");
}

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
  // the gateway replicas' shared state (shared-state.ts)
  "redis",
  // database mode (database.ts): its PostgreSQL and the migrations job
  "postgres",
  "gateway-migrations",
  ...Object.values(ADDON_PROFILES).flat(),
];

/** A tool's web UI, reached through Caddy under `path` behind basic auth. */
export interface ToolUi {
  /** The addon that runs it (the manager is the gateway's own listener). */
  addon: keyof StackConfig["addons"];
  /** Its compose service. */
  service: "grafana" | "kibana" | "jenkins" | "prometheus" | "gateway";
  /** Public path without trailing slash, e.g. /grafana */
  path: string;
  /** Strip the path prefix before proxying (the tool serves at its root). */
  strip: boolean;
}

const TOOL_UIS: readonly ToolUi[] = [
  { addon: "grafana", service: "grafana", path: "/grafana", strip: false },
  { addon: "elk", service: "kibana", path: "/kibana", strip: false },
  { addon: "jenkins", service: "jenkins", path: "/jenkins", strip: false },
  { addon: "prometheus", service: "prometheus", path: "/prometheus", strip: true },
  // the gateway manager (addons.manager): the gateway replicas' GUI listener, prefix stripped
  { addon: "manager", service: "gateway", path: "/gateway", strip: true },
];

/** Every tool path Caddy may serve, e.g. "/grafana, /kibana, /jenkins, /prometheus". */
export const TOOL_PATHS = TOOL_UIS.map((tool) => tool.path).join(", ");

/** The tool UIs of the enabled addons. */
export function toolUis(stack: StackConfig): ToolUi[] {
  return TOOL_UIS.filter((tool) => stack.addons[tool.addon].enabled);
}

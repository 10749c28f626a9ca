import type { StackConfig } from "../stack/schema.js";
import { toYaml } from "./serialize.js";
import { enabledAddons, PORTS, siteUrl } from "./topology.js";
import type { Artifact } from "./types.js";

export const KIBANA_CONFIG_PATH = "config/kibana/kibana.yml";

/**
 * config/kibana/kibana.yml: served under /kibana behind Caddy (basePath + rewriteBasePath).
 * Telemetry is opted out. `telemetry.allowChangingOptInStatus` stays at its default (true): Kibana
 * 8.x validates `optIn` against it and refuses to start when both are false (the `optIn` conditional
 * in elastic/kibana src/plugins/telemetry/server/config/config.ts).
 */
export function renderKibana(stack: StackConfig): Artifact[] {
  if (!enabledAddons(stack).elk) return [];
  const settings = {
    "server.name": "kibana",
    "server.host": "0.0.0.0",
    "server.port": PORTS.kibana,
    "server.basePath": "/kibana",
    "server.rewriteBasePath": true,
    "server.publicBaseUrl": `${siteUrl(stack)}/kibana`,
    "elasticsearch.hosts": [`http://elasticsearch:${PORTS.elasticsearch}`],
    "telemetry.optIn": false,
    "logging.root.level": "warn",
  };
  return [{ path: KIBANA_CONFIG_PATH, content: toYaml(settings) }];
}

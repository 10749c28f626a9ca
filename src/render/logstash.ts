import type { StackConfig } from "../stack/schema.js";
import { GENERATED_NOTICE } from "./header.js";
import { toYaml } from "./serialize.js";
import { renderTemplate } from "./templates.js";
import { enabledAddons, PORTS } from "./topology.js";
import type { Artifact } from "./types.js";

export const LOGSTASH_PIPELINE_PATH = "config/logstash/pipeline/gateway.conf";
export const LOGSTASH_SETTINGS_PATH = "config/logstash/logstash.yml";

/** Request/response header fields of a Kong log entry that may hold credentials. */
const REDACTED_FIELDS = [
  "[request][headers][authorization]",
  "[request][headers][proxy-authorization]",
  "[request][headers][cookie]",
  "[request][headers][apikey]",
  "[request][headers][x-api-key]",
  "[response][headers][set-cookie]",
];

/**
 * Logstash for the ELK addon: a pipeline with an http input on 8080 fed by the gateway's
 * global http-log plugin, writing to the daily index gateway-logs-YYYY.MM.dd; logstash.yml
 * with the API on 9600 (healthcheck) and monitoring off.
 */
export function renderLogstash(stack: StackConfig): Artifact[] {
  if (!enabledAddons(stack).elk) return [];
  const pipeline = renderTemplate("logstash/gateway.conf.hbs", {
    notice: GENERATED_NOTICE,
    httpPort: PORTS.logstashHttp,
    elasticsearchUrl: `http://elasticsearch:${PORTS.elasticsearch}`,
    redactedFields: REDACTED_FIELDS,
  });
  const settings = {
    "node.name": `${stack.name}-logstash`,
    "api.http.host": "0.0.0.0",
    "api.http.port": PORTS.logstashApi,
    "path.config": "/usr/share/logstash/pipeline",
    "pipeline.ecs_compatibility": "disabled",
    "xpack.monitoring.enabled": false,
    "log.format": "json",
  };
  return [
    { path: LOGSTASH_PIPELINE_PATH, content: pipeline },
    { path: LOGSTASH_SETTINGS_PATH, content: toYaml(settings) },
  ];
}

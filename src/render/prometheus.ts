import type { StackConfig } from "../stack/schema.js";
import { toYaml } from "./serialize.js";
import { PORTS } from "./topology.js";
import type { Artifact } from "./types.js";

export const PROMETHEUS_CONFIG_PATH = "config/prometheus/prometheus.yml";

/** Resolve a compose service name to one target per replica (Docker DNS returns one A record each). */
function dnsTargets(
  name: string,
  port: number,
): { names: string[]; type: "A"; port: number; refresh_interval: string } {
  return { names: [name], type: "A", port, refresh_interval: "15s" };
}

/**
 * config/prometheus/prometheus.yml: Prometheus itself, Caddy's internal metrics listener,
 * every gateway replica's status listener (/metrics, Kong's metric names) and every app
 * replica's /metrics (job "apps", label `service`). No rule or file_sd files are
 * referenced, so the config is self-contained.
 */
export function buildPrometheusConfig(stack: StackConfig): Record<string, unknown> {
  const apps = stack.services.map((app) => dnsTargets(app.name, app.port));
  return {
    global: { scrape_interval: "15s", evaluation_interval: "15s", external_labels: { stack: stack.name } },
    scrape_configs: [
      { job_name: "prometheus", static_configs: [{ targets: [`localhost:${PORTS.prometheus}`] }] },
      { job_name: "caddy", static_configs: [{ targets: [`caddy:${PORTS.caddyInternal}`] }] },
      {
        job_name: "gateway",
        metrics_path: "/metrics",
        dns_sd_configs: [dnsTargets("gateway", PORTS.gatewayStatus)],
      },
      {
        job_name: "apps",
        metrics_path: "/metrics",
        dns_sd_configs: apps,
        relabel_configs: [{ source_labels: ["__meta_dns_name"], target_label: "service" }],
      },
    ],
  };
}

export function renderPrometheusConfig(stack: StackConfig): Artifact {
  return { path: PROMETHEUS_CONFIG_PATH, content: toYaml(buildPrometheusConfig(stack)) };
}

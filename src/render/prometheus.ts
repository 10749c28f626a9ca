import type { StackConfig } from "../stack/schema.js";
import { toYaml } from "./serialize.js";
import { PORTS } from "./topology.js";
import type { Artifact } from "./types.js";

export const PROMETHEUS_CONFIG_PATH = "config/prometheus/prometheus.yml";

/**
 * config/prometheus/prometheus.yml: Prometheus itself, Caddy's internal metrics listener and
 * every gateway replica's status listener (/metrics, Kong's metric names; Docker DNS returns
 * one A record per replica). The apps are observed through the gateway — requests, status
 * codes and latency per service and route, and the health of every app replica
 * (kong_upstream_target_health) — because the FastAPI starters export no /metrics of their
 * own: scraping them would only add targets that are always down (and `stack health` would
 * call the stack degraded). No rule or file_sd files are referenced: the file is self-contained.
 */
export function buildPrometheusConfig(
  stack: StackConfig,
  target: PrometheusTarget = COMPOSE_PROMETHEUS_TARGET,
): Record<string, unknown> {
  const everyReplica = (job: string, service: string, port: number) => ({
    job_name: job,
    metrics_path: "/metrics",
    dns_sd_configs: [{ names: [target.replicasOf(service)], type: "A", port, refresh_interval: "15s" }],
  });
  return {
    global: { scrape_interval: "15s", evaluation_interval: "15s", external_labels: { stack: stack.name } },
    scrape_configs: [
      { job_name: "prometheus", static_configs: [{ targets: [`localhost:${PORTS.prometheus}`] }] },
      target.singleCaddy
        ? { job_name: "caddy", static_configs: [{ targets: [`caddy:${PORTS.caddyInternal}`] }] }
        : everyReplica("caddy", "caddy", PORTS.caddyInternal),
      everyReplica("gateway", "gateway", PORTS.gatewayStatus),
    ],
  };
}

/**
 * Where the file runs: the DNS name of every replica of a service (compose: the service name;
 * Swarm: `tasks.<service>`), and whether Caddy is one container (compose) or one task per manager.
 */
export interface PrometheusTarget {
  path: string;
  replicasOf: (service: string) => string;
  singleCaddy: boolean;
}

export const COMPOSE_PROMETHEUS_TARGET: PrometheusTarget = {
  path: PROMETHEUS_CONFIG_PATH,
  replicasOf: (service) => service,
  singleCaddy: true,
};

export function renderPrometheusConfig(
  stack: StackConfig,
  target: PrometheusTarget = COMPOSE_PROMETHEUS_TARGET,
): Artifact {
  return { path: target.path, content: toYaml(buildPrometheusConfig(stack, target)) };
}

/**
 * Kong's prometheus plugin: in the log phase (after the response, never delaying it),
 * feed the exporter with the request's status, latencies and sizes — each family only
 * when its config flag is on, as in Kong 3.x.
 */
import type {
  AccessLogEntry,
  PluginEntry,
  PluginEnvironment,
  PluginHandler,
  RequestContext,
} from "../types.js";
import { type ExportFlags, exporterFor, type KongExporter } from "./exporter.js";
import type { PrometheusConfig } from "./schema.js";

export class PrometheusHandler implements PluginHandler {
  private readonly exporter: KongExporter;
  private readonly flags: ExportFlags;
  private readonly releaseHealth: (() => void) | null;
  private readonly records: boolean;

  constructor(conf: PrometheusConfig, env: PluginEnvironment) {
    this.exporter = exporterFor(env.metrics, env.nodeId, env.logger, env.runtime);
    this.flags = {
      perConsumer: conf.per_consumer,
      statusCodes: conf.status_code_metrics,
      latency: conf.latency_metrics,
      bandwidth: conf.bandwidth_metrics,
    };
    this.records = this.flags.statusCodes || this.flags.latency || this.flags.bandwidth;
    this.releaseHealth = conf.upstream_health_metrics ? this.exporter.useUpstreamHealth() : null;
    // a reloaded entry: its predecessor only held a claim on upstream health metrics
    if (env.previous instanceof PrometheusHandler) env.previous.close();
  }

  log(ctx: RequestContext, entry: AccessLogEntry): void {
    if (this.records) this.exporter.log(ctx, entry, this.flags);
  }

  close(): void {
    this.releaseHealth?.();
  }
}

export function createPrometheusHandler(
  entry: PluginEntry<PrometheusConfig>,
  env: PluginEnvironment,
): PluginHandler {
  return new PrometheusHandler(entry.config, env);
}

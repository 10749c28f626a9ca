/**
 * The gateway's Prometheus registry, created on first use. prom-client (with the
 * OpenTelemetry API it pulls in) costs ~10 MB of resident memory; a gateway whose
 * configuration has no metrics plugin never loads it, and its `/metrics` answers an empty
 * exposition.
 */
import { createRequire } from "node:module";
import type { Registry } from "prom-client";

/** Prometheus text exposition format 0.0.4 (what prom-client's Registry answers with). */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** What the Admin and Status `/metrics` endpoints render. */
export interface MetricsExposition {
  /** the exposition text and its content type */
  render(): Promise<{ text: string; contentType: string }>;
}

const requireCjs = createRequire(import.meta.url);

export class GatewayMetrics implements MetricsExposition {
  private created: Registry | null = null;

  /** The registry plugins register their metrics in (prom-client is loaded here, once). */
  get registry(): Registry {
    if (this.created === null) {
      const promClient = requireCjs("prom-client") as typeof import("prom-client");
      this.created = new promClient.Registry();
    }
    return this.created;
  }

  /** Whether anything asked for the registry yet. */
  get loaded(): boolean {
    return this.created !== null;
  }

  async render(): Promise<{ text: string; contentType: string }> {
    const registry = this.created;
    if (registry === null) return { text: "", contentType: PROMETHEUS_CONTENT_TYPE };
    return { text: await registry.metrics(), contentType: registry.contentType };
  }
}

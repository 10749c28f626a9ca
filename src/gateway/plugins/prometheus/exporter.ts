/**
 * Kong's prometheus exporter (kong/plugins/prometheus/exporter.lua, 3.x): the same metric
 * names, help texts, label names and order, and latency buckets, so Kong's official
 * Grafana dashboard (7424) works unchanged. One exporter per Prometheus registry (the
 * gateway's shared one, served on the Admin and Status `/metrics`); every prometheus
 * plugin instance feeds it, and its counters survive config reloads.
 *
 * Cardinality is bounded: label values come from the loaded config (service, route and
 * consumer names) and status codes; beyond MAX_SERIES_PER_METRIC series in one family,
 * new series are folded into route="" and consumer="".
 */
import type { Registry } from "prom-client";
import { KONG_VERSION } from "../_shared/version.js";
import type { AccessLogEntry, GatewayLogger, GatewayRuntimeInfo, RequestContext } from "../types.js";
import {
  CollectedGauge,
  FastCounter,
  FastHistogram,
  type Labels,
  registerFast,
  type Sample,
} from "./metrics.js";

export const KONG_LATENCY_BUCKETS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000] as const;
export const UPSTREAM_LATENCY_BUCKETS = [
  25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000,
] as const;
export const MAX_SERIES_PER_METRIC = 10_000;

const WORKSPACE = "default";
const SUBSYSTEM = "http";
const SEP = "\u0000";

/** Which metric families one plugin instance feeds (its config flags). */
export interface ExportFlags {
  perConsumer: boolean;
  statusCodes: boolean;
  latency: boolean;
  bandwidth: boolean;
}

const HEALTH_STATES = ["healthchecks_off", "healthy", "unhealthy", "dns_error"] as const;

export class KongExporter {
  private readonly httpRequests: FastCounter | null;
  private readonly kongLatency: FastHistogram | null;
  private readonly upstreamLatency: FastHistogram | null;
  private readonly requestLatency: FastHistogram | null;
  private readonly bandwidth: FastCounter | null;
  /** live plugin instances with upstream_health_metrics on */
  private healthUsers = 0;
  private readonly warnedFull = new Set<string>();
  runtime: GatewayRuntimeInfo | undefined;

  constructor(
    registry: Registry,
    private readonly nodeId: string,
    private readonly logger: GatewayLogger,
  ) {
    this.httpRequests = registerFast(
      registry,
      new FastCounter("kong_http_requests_total", "HTTP status codes per consumer/service/route in Kong"),
    );
    this.kongLatency = registerFast(
      registry,
      new FastHistogram(
        "kong_kong_latency_ms",
        "Latency added by Kong and enabled plugins for each service/route in Kong",
        KONG_LATENCY_BUCKETS,
      ),
    );
    this.upstreamLatency = registerFast(
      registry,
      new FastHistogram(
        "kong_upstream_latency_ms",
        "Latency added by upstream response for each service/route in Kong",
        UPSTREAM_LATENCY_BUCKETS,
      ),
    );
    this.requestLatency = registerFast(
      registry,
      new FastHistogram(
        "kong_request_latency_ms",
        "Total latency incurred during requests for each service/route in Kong",
        UPSTREAM_LATENCY_BUCKETS,
      ),
    );
    this.bandwidth = registerFast(
      registry,
      new FastCounter("kong_bandwidth_bytes", "Total bandwidth (ingress/egress) throughput in bytes"),
    );
    registerFast(
      registry,
      new CollectedGauge(
        "kong_datastore_reachable",
        "Datastore reachable from Kong, 0 is unreachable",
        () => [{ value: 1, labels: {} }],
      ),
    );
    registerFast(
      registry,
      new CollectedGauge("kong_node_info", "Kong Node metadata information", () => [
        { value: 1, labels: { node_id: this.nodeId, version: KONG_VERSION } },
      ]),
    );
    registerFast(
      registry,
      new CollectedGauge("kong_nginx_connections_total", "Number of connections by subsystem", () =>
        this.connectionSamples(),
      ),
    );
    registerFast(
      registry,
      new CollectedGauge("kong_nginx_requests_total", "Number of requests total", () => {
        const stats = this.runtime?.serverStats();
        return stats
          ? [{ value: stats.totalRequests, labels: { node_id: this.nodeId, subsystem: SUBSYSTEM } }]
          : [];
      }),
    );
    registerFast(
      registry,
      new CollectedGauge("kong_memory_workers_lua_vms_bytes", "Allocated bytes in worker Lua VM", () => [
        {
          value: process.memoryUsage().heapUsed,
          labels: { node_id: this.nodeId, pid: String(process.pid), kong_subsystem: SUBSYSTEM },
        },
      ]),
    );
    registerFast(
      registry,
      new CollectedGauge(
        "kong_upstream_target_health",
        "Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, " +
          "value is 1 when state is populated.",
        () => this.healthSamples(),
      ),
    );
  }

  /** Count a plugin instance that wants upstream health metrics; returns its release. */
  useUpstreamHealth(): () => void {
    this.healthUsers++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.healthUsers--;
    };
  }

  /** Kong's exporter.log: record one finished request. */
  log(ctx: RequestContext, entry: AccessLogEntry, flags: ExportFlags): void {
    const service = ctx.service;
    if (service === null) return; // Kong records nothing without a service
    const serviceName = service.name ?? service.host;
    const routeName = ctx.route.name ?? ctx.route.id;
    const consumer =
      flags.perConsumer && ctx.consumer !== null
        ? (ctx.consumer.username ?? ctx.consumer.custom_id ?? "")
        : "";
    const base = serviceName + SEP + routeName;

    if (flags.bandwidth && this.bandwidth !== null) {
      const ingress = entry.request.size;
      if (ingress > 0) this.incBandwidth(serviceName, routeName, "ingress", consumer, ingress);
      const egress = entry.response.size;
      if (egress > 0) this.incBandwidth(serviceName, routeName, "egress", consumer, egress);
    }

    const proxied = !ctx.exited && entry.upstream_uri !== "";
    if (flags.statusCodes && this.httpRequests !== null) {
      const code = String(entry.response.status);
      const source = proxied ? "service" : "kong";
      let route = routeName;
      let who = consumer;
      let key = base + SEP + code + SEP + source + SEP + who;
      if (!this.httpRequests.has(key) && this.full(this.httpRequests)) {
        route = "";
        who = "";
        key = serviceName + SEP + SEP + code + SEP + source + SEP;
      }
      this.httpRequests.inc(key, () => ({
        service: serviceName,
        route,
        code,
        source,
        workspace: WORKSPACE,
        consumer: who,
      }));
    }

    if (flags.latency) {
      const l = entry.latencies;
      if (l.request >= 0 && this.requestLatency !== null)
        this.observe(this.requestLatency, serviceName, routeName, l.request);
      if (proxied && l.proxy >= 0 && this.upstreamLatency !== null) {
        this.observe(this.upstreamLatency, serviceName, routeName, l.proxy);
      }
      if (l.kong >= 0 && this.kongLatency !== null)
        this.observe(this.kongLatency, serviceName, routeName, l.kong);
    }
  }

  private incBandwidth(
    service: string,
    routeName: string,
    direction: string,
    consumer: string,
    bytes: number,
  ): void {
    const metric = this.bandwidth!;
    let route = routeName;
    let who = consumer;
    let key = service + SEP + route + SEP + direction + SEP + who;
    if (!metric.has(key) && this.full(metric)) {
      route = "";
      who = "";
      key = service + SEP + SEP + direction + SEP;
    }
    metric.inc(key, () => ({ service, route, direction, workspace: WORKSPACE, consumer: who }), bytes);
  }

  private observe(metric: FastHistogram, service: string, routeName: string, value: number): void {
    let route = routeName;
    let key = service + SEP + route;
    if (!metric.has(key) && this.full(metric)) {
      route = "";
      key = service + SEP;
    }
    metric.observe(key, (): Labels => ({ service, route, workspace: WORKSPACE }), value);
  }

  private full(metric: FastCounter | FastHistogram): boolean {
    if (metric.size < MAX_SERIES_PER_METRIC) return false;
    if (!this.warnedFull.has(metric.name)) {
      this.warnedFull.add(metric.name);
      this.logger.warn(
        `prometheus: ${metric.name} reached ${MAX_SERIES_PER_METRIC} series; new ones are folded into route=""`,
      );
    }
    return true;
  }

  private connectionSamples(): Sample[] {
    const s = this.runtime?.serverStats();
    if (!s) return [];
    const states: Array<[string, number]> = [
      ["accepted", s.connectionsAccepted],
      ["active", s.connectionsActive],
      ["handled", s.connectionsHandled],
      ["reading", s.connectionsReading],
      ["total", s.totalRequests],
      ["waiting", s.connectionsWaiting],
      ["writing", s.connectionsWriting],
    ];
    return states.map(([state, value]) => ({
      value,
      labels: { node_id: this.nodeId, subsystem: SUBSYSTEM, state },
    }));
  }

  private healthSamples(): Sample[] {
    if (this.healthUsers <= 0 || !this.runtime) return [];
    const out: Sample[] = [];
    for (const t of this.runtime.upstreamHealth()) {
      for (const state of HEALTH_STATES) {
        out.push({
          value: t.state === state ? 1 : 0,
          labels: { upstream: t.upstream, target: t.target, address: t.address, state, subsystem: SUBSYSTEM },
        });
      }
    }
    return out;
  }
}

const exporters = new WeakMap<Registry, KongExporter>();

/** The exporter of a registry (created on first use). */
export function exporterFor(
  registry: Registry,
  nodeId: string,
  logger: GatewayLogger,
  runtime: GatewayRuntimeInfo | undefined,
): KongExporter {
  let exp = exporters.get(registry);
  if (exp === undefined) {
    exp = new KongExporter(registry, nodeId, logger);
    exporters.set(registry, exp);
  }
  if (runtime !== undefined) exp.runtime = runtime;
  return exp;
}

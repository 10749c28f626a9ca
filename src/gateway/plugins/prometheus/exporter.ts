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
import type { GatewayRoute, GatewayService } from "../../config/types.js";
import { KONG_VERSION } from "../_shared/version.js";
import type { AccessLogEntry, GatewayLogger, GatewayRuntimeInfo, RequestContext } from "../types.js";
import {
  CollectedGauge,
  type CounterSeries,
  FastCounter,
  FastHistogram,
  type FastMetric,
  type HistogramSeries,
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

/** Series handles of one consumer label value on one route. */
interface ConsumerSeries {
  ingress: CounterSeries | null;
  egress: CounterSeries | null;
  /** by status × 2 + (proxied ? 1 : 0) */
  requests: Map<number, CounterSeries>;
}

/** Series handles of one route, cached on the route entity of the loaded config. */
interface RouteSeries {
  generation: number;
  service: string;
  route: string;
  request: HistogramSeries | null;
  upstream: HistogramSeries | null;
  kong: HistogramSeries | null;
  consumers: Map<string, ConsumerSeries>;
}

export class KongExporter {
  private readonly httpRequests: FastCounter | null;
  private readonly kongLatency: FastHistogram | null;
  private readonly upstreamLatency: FastHistogram | null;
  private readonly requestLatency: FastHistogram | null;
  private readonly bandwidth: FastCounter | null;
  /** live plugin instances with upstream_health_metrics on */
  private healthUsers = 0;
  private readonly warnedFull = new Set<string>();
  private readonly routes = new WeakMap<object, RouteSeries>();
  private readonly families: FastMetric[];
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
    this.families = [
      this.httpRequests,
      this.kongLatency,
      this.upstreamLatency,
      this.requestLatency,
      this.bandwidth,
    ].filter((m): m is FastCounter | FastHistogram => m !== null);
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
    // Kong records nothing without a service (no route matched: the gateway's 404s)
    if (ctx.service === null || ctx.route === null) return;
    const rs = this.routeSeries(ctx.route, ctx.service);
    const consumer =
      flags.perConsumer && ctx.consumer !== null
        ? (ctx.consumer.username ?? ctx.consumer.custom_id ?? "")
        : "";
    let cs = rs.consumers.get(consumer);
    if (cs === undefined) {
      cs = { ingress: null, egress: null, requests: new Map() };
      rs.consumers.set(consumer, cs);
    }
    const proxied = !ctx.exited && entry.upstream_uri !== "";

    if (flags.bandwidth && this.bandwidth !== null) {
      const ingress = entry.request.size;
      if (ingress > 0) {
        if (cs.ingress === null) cs.ingress = this.bandwidthSeries(rs, "ingress", consumer);
        cs.ingress.value += ingress;
      }
      const egress = entry.response.size;
      if (egress > 0) {
        if (cs.egress === null) cs.egress = this.bandwidthSeries(rs, "egress", consumer);
        cs.egress.value += egress;
      }
    }

    if (flags.statusCodes && this.httpRequests !== null) {
      const status = entry.response.status;
      const slot = status * 2 + (proxied ? 1 : 0);
      let series = cs.requests.get(slot);
      if (series === undefined) {
        series = this.requestSeries(rs, String(status), proxied ? "service" : "kong", consumer);
        cs.requests.set(slot, series);
      }
      series.value++;
    }

    if (flags.latency) {
      const l = entry.latencies;
      if (l.request >= 0 && this.requestLatency !== null) {
        if (rs.request === null) rs.request = this.latencySeries(this.requestLatency, rs);
        this.requestLatency.observeInto(rs.request, l.request);
      }
      if (proxied && l.proxy >= 0 && this.upstreamLatency !== null) {
        if (rs.upstream === null) rs.upstream = this.latencySeries(this.upstreamLatency, rs);
        this.upstreamLatency.observeInto(rs.upstream, l.proxy);
      }
      if (l.kong >= 0 && this.kongLatency !== null) {
        if (rs.kong === null) rs.kong = this.latencySeries(this.kongLatency, rs);
        this.kongLatency.observeInto(rs.kong, l.kong);
      }
    }
  }

  /** The cached series handles of the request's route (rebuilt after a metrics reset). */
  private routeSeries(route: GatewayRoute, service: GatewayService): RouteSeries {
    const generation = this.generation();
    let rs = this.routes.get(route);
    if (rs === undefined || rs.generation !== generation) {
      rs = {
        generation,
        service: service.name ?? service.host,
        route: route.name ?? route.id,
        request: null,
        upstream: null,
        kong: null,
        consumers: new Map(),
      };
      this.routes.set(route, rs);
    }
    return rs;
  }

  private generation(): number {
    let g = 0;
    for (const m of this.families) g += m.generation;
    return g;
  }

  private requestSeries(rs: RouteSeries, code: string, source: string, consumer: string): CounterSeries {
    const metric = this.httpRequests!;
    const service = rs.service;
    const key = service + SEP + rs.route + SEP + code + SEP + source + SEP + consumer;
    if (metric.has(key) || !this.full(metric)) {
      return metric.seriesFor(key, () => ({
        service,
        route: rs.route,
        code,
        source,
        workspace: WORKSPACE,
        consumer,
      }));
    }
    return metric.seriesFor(service + SEP + SEP + code + SEP + source + SEP, () => ({
      service,
      route: "",
      code,
      source,
      workspace: WORKSPACE,
      consumer: "",
    }));
  }

  private bandwidthSeries(rs: RouteSeries, direction: string, consumer: string): CounterSeries {
    const metric = this.bandwidth!;
    const service = rs.service;
    const key = service + SEP + rs.route + SEP + direction + SEP + consumer;
    if (metric.has(key) || !this.full(metric)) {
      return metric.seriesFor(key, () => ({
        service,
        route: rs.route,
        direction,
        workspace: WORKSPACE,
        consumer,
      }));
    }
    return metric.seriesFor(service + SEP + SEP + direction + SEP, () => ({
      service,
      route: "",
      direction,
      workspace: WORKSPACE,
      consumer: "",
    }));
  }

  private latencySeries(metric: FastHistogram, rs: RouteSeries): HistogramSeries {
    const service = rs.service;
    const key = service + SEP + rs.route;
    if (metric.has(key) || !this.full(metric)) {
      return metric.seriesFor(key, (): Labels => ({ service, route: rs.route, workspace: WORKSPACE }));
    }
    return metric.seriesFor(service + SEP, (): Labels => ({ service, route: "", workspace: WORKSPACE }));
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

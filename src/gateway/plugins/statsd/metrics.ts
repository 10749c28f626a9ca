/**
 * Kong's StatsD metrics of one request (kong/plugins/statsd/log.lua and statsd_logger.lua):
 * names under a scope (`service.<name>` or `global.unmatched`) and the prefix, or — with
 * `tag_style` — bare names with the service, route, workspace, consumer, node and status as
 * tags in the chosen dialect. `<prefix>.<name>:<value>|<type>[|@<sample rate>]`.
 */
import type { GatewayConsumer, GatewayRoute, GatewayService } from "../../config/types.js";
import type { MetricConfig, StatsdConfig, StatType } from "./schema.js";

/** StatsD's type suffixes. */
export const STAT_TYPE_CODES: Record<StatType, string> = {
  gauge: "g",
  counter: "c",
  timer: "ms",
  histogram: "h",
  meter: "m",
  set: "s",
};

/** The one workspace of this gateway. */
export const WORKSPACE_NAME = "default";
export const WORKSPACE_ID = "00000000-0000-4000-8000-000000000000";

/** What the metrics of one request are made of. */
export interface StatsdMessage {
  status: number;
  requestSize: number;
  responseSize: number;
  /** total, upstream (-1 when not proxied) and the gateway's own latency, ms */
  latency: number;
  upstreamLatency: number;
  kongLatency: number;
  service: GatewayService | null;
  route: GatewayRoute | null;
  consumer: GatewayConsumer | null;
}

const GENERIC: Partial<Record<MetricConfig["name"], { stat: string; value: (m: StatsdMessage) => number }>> =
  {
    request_size: { stat: "request.size", value: (m) => m.requestSize },
    response_size: { stat: "response.size", value: (m) => m.responseSize },
    latency: { stat: "latency", value: (m) => m.latency },
    upstream_latency: { stat: "upstream_latency", value: (m) => m.upstreamLatency },
    kong_latency: { stat: "kong_latency", value: (m) => m.kongLatency },
    request_count: { stat: "request.count", value: () => 1 },
  };

function consumerId(consumer: GatewayConsumer | null, identifier: string): string | null {
  if (consumer === null) return null;
  if (identifier === "consumer_id") return consumer.id;
  if (identifier === "username") return consumer.username;
  return consumer.custom_id;
}

function serviceId(service: GatewayService | null, identifier: string): string | null {
  if (service === null) return null;
  switch (identifier) {
    case "service_id":
      return service.id;
    case "service_name":
      return service.name;
    case "service_host":
      return service.host;
    default:
      return service.name ?? service.host;
  }
}

function workspaceId(identifier: string): string {
  return identifier === "workspace_name" ? WORKSPACE_NAME : WORKSPACE_ID;
}

const dots = (s: string) => s.replaceAll(".", "_");

/** Kong's get_scope_name. */
function scopeName(m: StatsdMessage, identifier: string): string {
  if (m.service === null) return "global.unmatched";
  const name = serviceId(m.service, identifier);
  return `service.${name === null ? "unnamed" : dots(name)}`;
}

type Tags = Array<[string, string | number]>;

function tagged(
  style: NonNullable<StatsdConfig["tag_style"]>,
  name: string,
  value: string,
  tags: Tags,
): string {
  switch (style) {
    case "dogstatsd":
      return `${name}:${value}|#${tags.map(([k, v]) => `${k}:${v}`).join(",")}`;
    case "influxdb":
      return `${name},${pairs(tags)}:${value}`;
    case "librato":
      return `${name}#${pairs(tags)}:${value}`;
    case "signalfx":
      return `${name}[${pairs(tags)}]:${value}`;
  }
}

const pairs = (tags: Tags) => tags.map(([k, v]) => `${k}=${v}`).join(",");

/** Builds the metric lines of requests for one plugin configuration. */
export class StatsdMetrics {
  private readonly prefix: string;

  constructor(
    private readonly conf: StatsdConfig,
    private readonly hostname: string,
  ) {
    this.prefix =
      conf.hostname_in_prefix && conf.tag_style == null
        ? `${conf.prefix}.node.${dots(hostname)}`
        : conf.prefix;
  }

  /** One line per metric of this request, in the configured order. */
  lines(m: StatsdMessage): string[] {
    const out: string[] = [];
    const conf = this.conf;
    const style = conf.tag_style ?? null;
    for (const metric of conf.metrics) {
      const rate = metric.sample_rate;
      const send = (stat: string, value: string | number, type: StatType, tags: Tags | null = null) => {
        const body = `${value}|${STAT_TYPE_CODES[type]}${rate != null && rate !== 1 ? `|@${rate}` : ""}`;
        const name = `${this.prefix}.${stat}`;
        out.push(style !== null && tags !== null ? tagged(style, name, body, tags) : `${name}:${body}`);
      };
      const cid = consumerId(m.consumer, metric.consumer_identifier ?? conf.consumer_identifier_default);
      const generic = GENERIC[metric.name];
      if (generic !== undefined) {
        const value = generic.value(m);
        if (value === -1) continue;
        if (style !== null) send(generic.stat, value, metric.stat_type, this.tags(m, metric, cid));
        else {
          const scope = scopeName(m, metric.service_identifier ?? conf.service_identifier_default);
          send(`${scope}.${generic.stat}`, value, metric.stat_type);
        }
        continue;
      }
      // the per-user, per-status and per-workspace metrics exist without tags only (Kong)
      if (style !== null) continue;
      const scope = scopeName(m, metric.service_identifier ?? conf.service_identifier_default);
      switch (metric.name) {
        case "unique_users":
          if (cid !== null) send(`${scope}.user.uniques`, cid, "set");
          break;
        case "request_per_user":
          if (cid !== null) send(`${scope}.user.${cid}.request.count`, 1, "counter");
          break;
        case "status_count":
          send(`${scope}.status.${m.status}`, 1, "counter");
          break;
        case "status_count_per_user":
          if (cid !== null) send(`${scope}.user.${cid}.status.${m.status}`, 1, "counter");
          break;
        case "status_count_per_workspace": {
          const wid = workspaceId(metric.workspace_identifier ?? conf.workspace_identifier_default);
          send(`${scope}.workspace.${wid}.status.${m.status}`, 1, "counter");
          break;
        }
        case "status_count_per_user_per_route":
          if (cid !== null && m.route !== null)
            send(`route.${m.route.id}.user.${cid}.status.${m.status}`, 1, "counter");
          break;
        default:
          // shdict_usage: nginx shared dictionaries, which this gateway does not have
          break;
      }
    }
    return out;
  }

  /** Kong's get_tags; null (the metric is sent untagged, as Kong does) without a service. */
  private tags(m: StatsdMessage, metric: MetricConfig, cid: string | null): Tags | null {
    const conf = this.conf;
    const service = serviceId(m.service, metric.service_identifier ?? conf.service_identifier_default);
    if (service === null) return null;
    const tags: Tags = [["service", service]];
    if (m.route !== null) tags.push(["route", m.route.name ?? m.route.id]);
    tags.push(["workspace", workspaceId(metric.workspace_identifier ?? conf.workspace_identifier_default)]);
    if (cid !== null) tags.push(["consumer", cid]);
    tags.push(["node", dots(this.hostname)]);
    tags.push(["status", m.status]);
    return tags;
  }
}

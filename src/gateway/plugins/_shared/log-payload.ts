/**
 * The log entry the logging plugins send, in the shape of Kong's `kong.log.serialize()`
 * (3.x): request, response, latencies (kong / proxy / request / receive), the matched
 * route and service entities, consumer, authenticated_entity, client_ip, started_at,
 * upstream_uri, upstream_status, tries, source, workspace_name, and trace_id (the trace id per
 * propagation format, when a tracing plugin traced the request). Header values holding
 * credentials are already redacted in the access-log entry.
 */
import type { AccessLogEntry, RequestContext } from "../types.js";

export interface KongLogPayload {
  request: {
    id: string;
    uri: string;
    url: string;
    size: number;
    querystring: Record<string, string | string[]>;
    headers: Record<string, string | string[]>;
    method: string;
  };
  response: { status: number; size: number; headers: Record<string, string | string[]> };
  latencies: { kong: number; proxy: number; request: number; receive: number };
  route: RequestContext["route"] | null;
  service: RequestContext["service"];
  consumer: RequestContext["consumer"];
  authenticated_entity?: { id: string; consumer_id: string | null };
  client_ip: string;
  started_at: number;
  upstream_uri: string;
  upstream_status?: string;
  tries: Array<{ ip: string; port: number; balancer_latency?: number }>;
  source: "upstream" | "kong";
  workspace_name: string;
  trace_id?: Readonly<Record<string, string>>;
}

export function kongLogPayload(ctx: RequestContext, entry: AccessLogEntry): KongLogPayload {
  const proxied = !ctx.exited && entry.upstream_uri !== "";
  const payload: KongLogPayload = {
    request: {
      id: entry.request.id,
      uri: entry.request.uri,
      url: entry.request.url,
      size: entry.request.size,
      querystring: entry.request.querystring,
      headers: entry.request.headers,
      method: entry.request.method,
    },
    response: { status: entry.response.status, size: entry.response.size, headers: entry.response.headers },
    latencies: {
      kong: entry.latencies.kong,
      proxy: proxied ? entry.latencies.proxy : -1,
      request: entry.latencies.request,
      receive: 0,
    },
    route: ctx.route,
    service: ctx.service,
    consumer: ctx.consumer,
    client_ip: entry.client_ip,
    started_at: entry.started_at,
    upstream_uri: entry.upstream_uri,
    tries: entry.tries ?? [],
    source: proxied ? "upstream" : "kong",
    workspace_name: "default",
  };
  if (ctx.credential !== null) {
    payload.authenticated_entity = { id: ctx.credential.id, consumer_id: ctx.credential.consumer };
  }
  if (proxied) payload.upstream_status = String(entry.response.status);
  const traceIds = ctx.trace?.traceIdFormats ?? null;
  if (traceIds !== null) payload.trace_id = traceIds;
  return payload;
}

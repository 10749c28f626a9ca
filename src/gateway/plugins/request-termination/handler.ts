/**
 * request-termination (Kong 3.x kong/plugins/request-termination/handler.lua): answers in the
 * access phase with `status_code` and `{"message": …}` (the configured message or Kong's default
 * for the status), or with the raw `body` (and `content_type`), or — with `echo` — a JSON copy of
 * the request. With `trigger` it only answers requests carrying that header or query argument.
 */
import { hostname } from "node:os";
import type { GatewayRoute, GatewayService } from "../../config/types.js";
import { bodyKind, type ParsedBody, parseBody } from "../_shared/request-body.js";
import { firstHeader, headerValue } from "../_shared/request-headers.js";
import type { PluginEntry, PluginEnvironment, PluginHandler, RequestContext } from "../types.js";
import type { RequestTerminationConfig } from "./schema.js";

/** Kong's DEFAULT_RESPONSE: the message of a status when none is configured. */
const DEFAULT_MESSAGES: Readonly<Record<number, string>> = {
  401: "Unauthorized",
  404: "Not found",
  405: "Method not allowed",
  500: "An unexpected error occurred",
  502: "Bad Gateway",
  503: "Service unavailable",
};

type QueryValue = string | true | Array<string | true>;

function decodeArg(raw: string): string {
  const text = raw.replace(/\+/g, " ");
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Kong's kong.request.get_query(): repeated arguments as lists, an argument without `=` as true. */
export function queryArgs(rawQuery: string): Record<string, QueryValue> {
  const out: Record<string, QueryValue> = Object.create(null);
  if (rawQuery === "") return out;
  for (const pair of rawQuery.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = decodeArg(eq < 0 ? pair : pair.slice(0, eq));
    if (name === "") continue;
    const value: string | true = eq < 0 ? true : decodeArg(pair.slice(eq + 1));
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}

/** Kong's kong.request.get_headers(): one value per header, a list for a repeated one. */
function requestHeaders(ctx: RequestContext): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, lines] of Object.entries(ctx.request.headersDistinct)) {
    if (lines === undefined || lines.length === 0) continue;
    out[name] = lines.length === 1 ? lines[0]! : [...lines];
  }
  return out;
}

/** Kong's kong.request.get_body(): the decoded form, multipart or JSON body; undefined for other types. */
function decodedBody(parsed: ParsedBody | null): unknown {
  if (parsed === null) return undefined;
  if (parsed.kind === "json") return parsed.value;
  const out: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  };
  if (parsed.kind === "form") for (const [k, v] of parsed.params) add(k, v);
  else for (const part of parsed.parts) add(part.name, part.data.toString("utf8"));
  return out;
}

/** Kong's get_uri_captures: the numbered groups (from 1) and the named ones. */
function uriCaptures(captures: Readonly<Record<string, string>> | null): {
  unnamed: string[];
  named: Record<string, string>;
} {
  const unnamed: string[] = [];
  const named: Record<string, string> = {};
  for (const [key, value] of Object.entries(captures ?? {})) {
    if (/^\d+$/.test(key)) {
      if (key !== "0") unnamed[Number(key) - 1] = value;
    } else named[key] = value;
  }
  return { unnamed, named };
}

/** An entity as Kong's router gives it: foreign keys as `{ id }`. */
function routeView(route: GatewayRoute | null): Record<string, unknown> | null {
  return route === null ? null : { ...route, service: route.service === null ? null : { id: route.service } };
}

function serviceView(service: GatewayService | null): Record<string, unknown> | null {
  return service === null ? null : { ...service };
}

async function echo(
  ctx: RequestContext,
  conf: RequestTerminationConfig,
  env: PluginEnvironment,
  headers: Record<string, string | string[]>,
  query: Record<string, QueryValue>,
): Promise<void> {
  const raw = await ctx.request.readBody();
  const contentType = firstHeader(ctx.request.headers["content-type"]);
  const body = bodyKind(contentType) === null ? undefined : decodedBody(parseBody(contentType, raw));
  ctx.exit(conf.status_code, {
    message: conf.message ?? DEFAULT_MESSAGES[conf.status_code],
    kong: { node_id: env.nodeId, worker_pid: process.pid, hostname: hostname() },
    request: {
      scheme: ctx.protocol,
      host: ctx.request.host,
      port: ctx.connection?.localPort,
      headers,
      query,
      body,
      raw_body: raw.toString("utf8"),
      method: ctx.request.method,
      path: ctx.request.path,
      uri_captures: uriCaptures(ctx.uriCaptures),
    },
    matched_route: routeView(ctx.route),
    matched_service: serviceView(ctx.service),
  });
}

export function createRequestTerminationHandler(
  entry: PluginEntry<RequestTerminationConfig>,
  env: PluginEnvironment,
): PluginHandler {
  const conf = entry.config;
  const status = conf.status_code;
  return {
    access: (ctx) => {
      if (conf.trigger !== null || conf.echo) {
        const headers = requestHeaders(ctx);
        const query = queryArgs(ctx.request.rawQuery);
        if (
          conf.trigger !== null &&
          headerValue(headers, conf.trigger) === undefined &&
          query[conf.trigger] === undefined
        )
          return; // a trigger is set and the request does not carry it: proxied as usual
        if (conf.echo) return echo(ctx, conf, env, headers, query);
      }
      if (conf.body !== null) {
        const headers = conf.content_type === null ? undefined : { "Content-Type": conf.content_type };
        ctx.exit(status, conf.body, headers === undefined ? undefined : { headers });
        return;
      }
      const message = conf.message ?? DEFAULT_MESSAGES[status];
      ctx.exit(status, message === undefined ? undefined : { message });
    },
  };
}

/**
 * cors (Kong 3.x): preflights (OPTIONS with Origin and Access-Control-Request-Method)
 * are answered 200 by the gateway unless preflight_continue; every other response
 * (upstream or produced by another plugin) gets the origin/credentials/expose headers.
 */
import type { PluginEntry, PluginHandler, RequestContext } from "../types.js";
import { compileOrigins, type OriginMatcher } from "./origins.js";
import type { CorsConfig } from "./schema.js";

type HeaderBag = Record<string, string | string[]>;

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Add `Origin` to Vary unless it is already listed. */
function addVaryOrigin(headers: HeaderBag): void {
  const current = headers.vary;
  const values = current === undefined ? [] : Array.isArray(current) ? current : [current];
  const listed = values.flatMap((v) => v.split(",")).map((v) => v.trim().toLowerCase());
  if (listed.includes("origin") || listed.includes("*")) return;
  headers.vary = values.length === 0 ? "Origin" : `${values.join(", ")}, Origin`;
}

/** Kong's is_origin_provided: an Origin header that is present and not empty. */
function provided(origin: string | undefined): origin is string {
  return origin !== undefined && origin !== "";
}

/** Kong's configure_origin; returns whether all origins are allowed. */
function configureOrigin(matcher: OriginMatcher, origin: string | undefined, headers: HeaderBag): boolean {
  const answer = matcher.answer(origin);
  if (answer.vary) addVaryOrigin(headers);
  // no match: an Access-Control-Allow-Origin from the upstream is removed too
  if (answer.allowOrigin === null) delete headers["access-control-allow-origin"];
  else headers["access-control-allow-origin"] = answer.allowOrigin;
  return answer.allowAll;
}

/** Kong's configure_credentials. */
function configureCredentials(
  conf: CorsConfig,
  allowAll: boolean,
  origin: string | undefined,
  headers: HeaderBag,
) {
  if (!conf.credentials) return;
  if (!allowAll) {
    headers["access-control-allow-credentials"] = "true";
    return;
  }
  if (provided(origin)) {
    headers["access-control-allow-origin"] = origin;
    headers["access-control-allow-credentials"] = "true";
    addVaryOrigin(headers);
  }
}

function preflightHeaders(ctx: RequestContext, conf: CorsConfig, matcher: OriginMatcher): HeaderBag {
  const headers: HeaderBag = {};
  const origin = header(ctx, "origin");
  const allowAll = configureOrigin(matcher, origin, headers);
  configureCredentials(conf, allowAll, origin, headers);
  if (conf.headers && conf.headers.length > 0) {
    headers["access-control-allow-headers"] = conf.headers.join(",");
  } else {
    const requested = header(ctx, "access-control-request-headers");
    if (requested !== undefined) headers["access-control-allow-headers"] = requested;
  }
  headers["access-control-allow-methods"] = conf.methods.join(",");
  if (conf.max_age !== null) headers["access-control-max-age"] = String(conf.max_age);
  if (conf.private_network && header(ctx, "access-control-request-private-network") === "true") {
    headers["access-control-allow-private-network"] = "true";
  }
  return headers;
}

export function createCorsHandler(entry: PluginEntry<CorsConfig>): PluginHandler {
  const conf = entry.config;
  const matcher = compileOrigins(conf.origins);
  const state = (ctx: RequestContext) => ctx.pluginState("cors", () => ({ skipResponseHeaders: false }));
  return {
    access(ctx) {
      const isPreflight =
        ctx.request.method === "OPTIONS" &&
        provided(header(ctx, "origin")) &&
        header(ctx, "access-control-request-method") !== undefined;
      if (!isPreflight) return;
      state(ctx).skipResponseHeaders = true;
      if (conf.preflight_continue) return;
      ctx.exit(200, undefined, { headers: preflightHeaders(ctx, conf, matcher) });
    },
    responseHeaders(ctx, res) {
      if (state(ctx).skipResponseHeaders) return;
      const origin = header(ctx, "origin");
      if (!conf.allow_origin_absent && !provided(origin)) return;
      const allowAll = configureOrigin(matcher, origin, res.headers);
      configureCredentials(conf, allowAll, origin, res.headers);
      if (conf.exposed_headers && conf.exposed_headers.length > 0) {
        res.headers["access-control-expose-headers"] = conf.exposed_headers.join(",");
      }
    },
  };
}

/**
 * The authentication a route asks of its callers, read from the authentication plugins that apply
 * to it, as OpenAPI security schemes (what Swagger UI's Authorize dialog offers) and the operation's
 * `security` requirement. Only header names, schemes and algorithms are described: nothing of a
 * plugin's configuration that is secret (none of them holds a secret; credentials are separate
 * entities) and no credential.
 */
import type { GatewayConfig, GatewayPluginEntry, GatewayRoute } from "../config/types.js";

/** An OpenAPI 3 security scheme object (the subset the portal writes). */
export interface SecurityScheme {
  type: "apiKey" | "http";
  description: string;
  name?: string;
  in?: "header" | "query";
  scheme?: "bearer" | "basic";
  bearerFormat?: string;
}

/** One alternative of an OpenAPI security requirement: scheme name → scopes (always none here). */
export type SecurityRequirement = Record<string, string[]>;

export interface RouteSecurity {
  /** scheme name → scheme, for `components.securitySchemes` */
  schemes: Record<string, SecurityScheme>;
  /** the operation's `security`: alternatives; `[]` when the route needs no authentication */
  requirement: SecurityRequirement[];
  /** the plugin names, by the order they were found (for the routes listing) */
  plugins: string[];
}

/** The authentication plugins the portal describes, in Kong's order of priority. */
export const AUTH_PLUGINS = ["jwt", "key-auth", "basic-auth", "hmac-auth"] as const;

/**
 * The entry of plugin `name` that runs for `route` — Kong's precedence without a consumer: route and
 * service, then route, then service, then global. Disabled entries do not run; consumer-scoped ones
 * cannot decide whether an anonymous caller is let in, so they are not looked at.
 */
export function pluginFor(
  plugins: readonly GatewayPluginEntry[],
  name: string,
  route: Pick<GatewayRoute, "id" | "service">,
): GatewayPluginEntry | null {
  let best: GatewayPluginEntry | null = null;
  let bestRank = -1;
  for (const p of plugins) {
    if (p.name !== name || !p.enabled || p.consumer !== null) continue;
    if (p.route !== null && p.route !== route.id) continue;
    if (p.service !== null && p.service !== route.service) continue;
    const rank = (p.route !== null ? 2 : 0) + (p.service !== null ? 1 : 0);
    if (rank > bestRank) {
      best = p;
      bestRank = rank;
    }
  }
  return best;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function hasAnonymous(entry: GatewayPluginEntry): boolean {
  const a = entry.config.anonymous;
  return typeof a === "string" && a !== "";
}

/** A scheme name OpenAPI accepts (`^[A-Za-z0-9._-]+$`). */
function schemeName(...parts: string[]): string {
  return parts.map((p) => p.replace(/[^A-Za-z0-9._-]+/g, "_")).join(".");
}

/** The scheme one authentication plugin's entry asks for, and its name. */
export function schemeOf(entry: GatewayPluginEntry): [string, SecurityScheme] | null {
  const c = entry.config;
  switch (entry.name) {
    case "key-auth": {
      const header = strings(c.key_names)[0] ?? "apikey";
      const inHeader = c.key_in_header !== false;
      const where = inHeader ? "header" : "query";
      return [
        schemeName("key-auth", header),
        {
          type: "apiKey",
          in: where,
          name: header,
          description: `key-auth: an API key in the \`${header}\` ${where === "header" ? "header" : "query parameter"}.`,
        },
      ];
    }
    case "jwt": {
      const header = strings(c.header_names)[0] ?? "authorization";
      if (header.toLowerCase() === "authorization") {
        return [
          "jwt",
          {
            type: "http",
            scheme: "bearer",
            bearerFormat: "JWT",
            description: "jwt: a signed JSON Web Token, sent as `Authorization: Bearer <token>`.",
          },
        ];
      }
      return [
        schemeName("jwt", header),
        {
          type: "apiKey",
          in: "header",
          name: header,
          description: `jwt: a signed JSON Web Token in the \`${header}\` header, as \`Bearer <token>\`.`,
        },
      ];
    }
    case "basic-auth":
      return [
        "basic-auth",
        {
          type: "http",
          scheme: "basic",
          description: "basic-auth: a consumer's username and password (`Authorization: Basic …`).",
        },
      ];
    case "hmac-auth": {
      const algorithms = strings(c.algorithms);
      const enforced = strings(c.enforce_headers);
      return [
        "hmac-auth",
        {
          type: "apiKey",
          in: "header",
          name: "Authorization",
          description:
            "hmac-auth: each request signed with the consumer's secret — " +
            '`Authorization: hmac username="…", algorithm="…", headers="date request-line", signature="…"` ' +
            "with a `Date` (or `X-Date`) header" +
            (algorithms.length > 0 ? `; algorithms: ${algorithms.join(", ")}` : "") +
            (enforced.length > 0 ? `; signed headers must include: ${enforced.join(", ")}` : "") +
            ". The signature is computed per request by the client; it cannot be pasted once.",
        },
      ];
    }
    default:
      return null;
  }
}

/**
 * What `route` asks of a caller: every authentication plugin that runs for it must be satisfied
 * (Kong runs each in turn), one requirement naming all their schemes; when any of them has an
 * `anonymous` consumer, a caller without credentials is let in too, so each scheme alone and no
 * scheme at all are alternatives (Kong's "logical OR" set-up).
 */
export function routeSecurity(
  config: Pick<GatewayConfig, "plugins">,
  route: Pick<GatewayRoute, "id" | "service">,
): RouteSecurity {
  const schemes: Record<string, SecurityScheme> = {};
  const plugins: string[] = [];
  const names: string[] = [];
  let optional = false;
  for (const name of AUTH_PLUGINS) {
    const entry = pluginFor(config.plugins, name, route);
    if (entry === null) continue;
    const scheme = schemeOf(entry);
    if (scheme === null) continue;
    schemes[scheme[0]] = scheme[1];
    names.push(scheme[0]);
    plugins.push(name);
    if (hasAnonymous(entry)) optional = true;
  }
  if (names.length === 0) return { schemes, requirement: [], plugins };
  const requirement: SecurityRequirement[] = optional
    ? [...names.map((n) => ({ [n]: [] })), {}]
    : [Object.fromEntries(names.map((n) => [n, [] as string[]]))];
  return { schemes, requirement, plugins };
}

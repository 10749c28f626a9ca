import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SignJWT } from "jose";
import { parse as parseYaml } from "yaml";
import { hashDeclarativeText } from "../gateway/config/hash.js";
import { CADDYFILE_PATH } from "../render/caddyfile.js";
import { GATEWAY_CONFIG_FILE, upstreamName } from "../render/gateway.js";
import { enabledAddons, httpsEnabled, isLocalDomain, PORTS } from "../render/topology.js";
import { usesDatabase } from "../stack/database.js";
import type { LoadedStack } from "../stack/load.js";
import type { PluginSpec, RouteSpec, ServiceSpec, StackConfig } from "../stack/schema.js";
import { stackHasRedis } from "../stack/shared-state.js";

/**
 * Everything `stack health` probes, derived once from stack.yaml, .env and the rendered files
 * on disk (what the running containers were started with): public addresses, the sites the
 * Caddyfile serves, the gateway's expected config hash and upstreams, each app's health route
 * through the chain (with a credential when the route needs one), the enabled addons.
 */

export interface HealthTargets {
  project: string;
  domain: string;
  https: boolean;
  /** How the site's certificate must be trusted: Caddy's internal CA, or a public root. */
  certTrust: "public" | "internal";
  /** Host address the published ports are dialled on (127.0.0.1 for 0.0.0.0). */
  dialHost: string;
  httpPort: number;
  httpsPort: number;
  /** Base URL the public (through the chain) requests use: http(s)://<dialHost>:<port>. */
  publicBase: string;
  /** Host header for public requests (the site name, with the port when not the default). */
  hostHeader: string;
  /** Site names the Caddyfile serves over TLS (certificate checks). */
  tlsSites: string[];
  /** Caddy's admin API base URL inside the caddy container; null when `admin off`. */
  caddyAdmin: string | null;
  gateway: {
    engine: "gatestack" | "kong";
    replicas: number;
    adminToken: string | undefined;
    statusUrl: string;
    adminUrl: string;
    /** gateway.database postgres: the rendered gateway.yaml (null when missing) the database should hold */
    database?: { text: string | null };
  };
  /** the stack runs a Redis the gateway replicas share their state in */
  redis: boolean;
  /** config/gateway/gateway.yaml as rendered; null when missing. */
  gatewayConfig: { hash: string; upstreams: string[] } | null;
  services: ServiceTarget[];
  addons: AddonTarget[];
}

export interface ServiceTarget {
  name: string;
  port: number;
  replicas: number;
  healthPath: string;
  upstream: string;
  /** How to reach /health through Caddy → gateway; `skip` says why it cannot be. */
  chain: ChainRoute | { skip: string };
}

export interface ChainRoute {
  route: string;
  /** Public path (no query) that lands on the app's health path. */
  path: string;
  /** Extra headers the route needs (Host, matched headers, a credential). Never reported. */
  headers: Record<string, string>;
  /** What credential was added, in words ("consumer demo's key-auth key"), for details. */
  credential?: string;
}

export type AddonName = "prometheus" | "grafana" | "elasticsearch" | "logstash" | "kibana" | "jenkins";

export interface AddonTarget {
  name: AddonName;
  /** Compose service (DNS name on the stack networks). */
  service: string;
  profile: string;
  /** Probe URL inside the network. */
  url: string;
  /** Extra URL probed for details (Prometheus targets). */
  detailUrl?: string;
}

export async function healthTargets(loaded: LoadedStack): Promise<HealthTargets> {
  const stack = loaded.config;
  const [caddyfile, gatewayYaml] = await Promise.all([
    readOptional(join(loaded.dir, CADDYFILE_PATH)),
    readOptional(join(loaded.dir, GATEWAY_CONFIG_FILE)),
  ]);
  const https = httpsEnabled(stack);
  const dialHost = dialHostFor(stack.ports.bind);
  const port = https ? stack.ports.https : stack.ports.http;
  const defaultPort = https ? 443 : 80;
  const services = await Promise.all(stack.services.map((s) => serviceTarget(stack, s, loaded.env)));
  const hostHeader = port === defaultPort ? stack.domain : `${stack.domain}:${port}`;
  for (const s of services)
    if ("route" in s.chain && !s.chain.headers.host) s.chain.headers.host = hostHeader;
  return {
    project: stack.name,
    domain: stack.domain,
    https,
    certTrust: stack.https === "internal" || isLocalDomain(stack.domain) ? "internal" : "public",
    dialHost,
    httpPort: stack.ports.http,
    httpsPort: stack.ports.https,
    publicBase: `${https ? "https" : "http"}://${dialHost.includes(":") ? `[${dialHost}]` : dialHost}:${port}`,
    hostHeader,
    tlsSites: https ? (caddyfile ? tlsSitesOf(caddyfile) : [stack.domain]) : [],
    caddyAdmin: caddyAdminUrl(caddyfile),
    gateway: {
      engine: stack.gateway.engine,
      replicas: stack.gateway.replicas,
      adminToken: loaded.env.GATEWAY_ADMIN_TOKEN || undefined,
      statusUrl: `http://127.0.0.1:${PORTS.gatewayStatus}`,
      adminUrl: `http://127.0.0.1:${PORTS.gatewayAdmin}`,
      ...(usesDatabase(stack) ? { database: { text: gatewayYaml } } : {}),
    },
    redis: stackHasRedis(stack),
    gatewayConfig: gatewayYaml === null ? null : gatewayConfigFacts(gatewayYaml),
    services,
    addons: addonTargets(stack),
  };
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return null;
  }
}

export function dialHostFor(bind: string): string {
  if (bind === "0.0.0.0" || bind === "" || bind === "*") return "127.0.0.1";
  if (bind === "::" || bind === "[::]") return "::1";
  return bind.replace(/^\[|\]$/g, "");
}

/** Rendered gateway.yaml → its configuration hash and upstream names. */
export function gatewayConfigFacts(text: string): { hash: string; upstreams: string[] } {
  let upstreams: string[] = [];
  try {
    const doc = parseYaml(text) as { upstreams?: Array<{ name?: unknown }> } | null;
    upstreams = (doc?.upstreams ?? []).map((u) => u.name).filter((n): n is string => typeof n === "string");
  } catch {
    upstreams = [];
  }
  return { hash: hashDeclarativeText(text), upstreams };
}

/**
 * Site addresses of a Caddyfile that get certificates: top-level block openers (not the
 * global options block), split on commas/spaces, without `http://` or port-only addresses.
 */
export function tlsSitesOf(caddyfile: string): string[] {
  const sites: string[] = [];
  let depth = 0;
  for (const rawLine of caddyfile.split("\n")) {
    const line = rawLine.replace(/#.*$/, "").trim();
    if (line === "") continue;
    if (depth === 0 && line.endsWith("{") && line !== "{") {
      for (const addr of line.slice(0, -1).split(/[,\s]+/)) {
        if (addr === "" || addr.startsWith("http://") || addr.startsWith(":")) continue;
        const host = addr.replace(/^https:\/\//, "").replace(/:\d+$/, "");
        if (!sites.includes(host)) sites.push(host);
      }
    }
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
  }
  return sites;
}

/** The admin address from the Caddyfile's global options (default localhost:2019; `off` → null). */
export function caddyAdminUrl(caddyfile: string | null): string | null {
  const adminLine = /^\s*admin\s+(\S+)/m.exec(globalOptionsBlock(caddyfile ?? ""));
  const addr = adminLine?.[1] ?? `localhost:${PORTS.caddyAdmin}`;
  if (addr === "off") return null;
  const hostPort = addr.replace(/^(tcp\/|http:\/\/)/, "");
  if (hostPort.startsWith("unix/")) return null;
  return `http://${hostPort.startsWith(":") ? `localhost${hostPort}` : hostPort}`;
}

/** The body of the global options block (a lone `{` as the first directive), or "". */
function globalOptionsBlock(caddyfile: string): string {
  const lines = caddyfile.split("\n");
  const start = lines.findIndex((l) => l.replace(/#.*$/, "").trim() !== "");
  if (start < 0 || lines[start]!.trim() !== "{") return "";
  const body: string[] = [];
  let depth = 1;
  for (const line of lines.slice(start + 1)) {
    const code = line.replace(/#.*$/, "");
    depth += (code.match(/\{/g) ?? []).length - (code.match(/\}/g) ?? []).length;
    if (depth <= 0) break;
    body.push(code);
  }
  return body.join("\n");
}

/**
 * The public request that lands on the app's health path, for the first route that can
 * carry it: a plain path prefix, GET allowed, no regex; honours strip_path and
 * upstream_path the way the gateway joins them.
 */
export function chainPathFor(route: RouteSpec, healthPath: string): string | null {
  if (route.methods.length > 0 && !route.methods.includes("GET")) return null;
  const prefix = route.paths.find((p) => !p.startsWith("~"));
  const upstream = route.upstream_path ?? "";
  const rest = upstream === "" || upstream === "/" ? healthPath : stripPrefix(healthPath, upstream);
  if (rest === null) return null;
  if (prefix === undefined) return route.paths.length === 0 ? rest : null;
  const p = prefix.replace(/\/+$/, "");
  if (route.strip_path) return `${p}${rest.startsWith("/") ? rest : `/${rest}`}`;
  return rest === p || rest.startsWith(`${p}/`) || p === "" ? rest : null;
}

function stripPrefix(path: string, prefix: string): string | null {
  const p = prefix.replace(/\/+$/, "");
  if (path === p) return "/";
  return path.startsWith(`${p}/`) ? path.slice(p.length) : null;
}

async function serviceTarget(
  stack: StackConfig,
  service: ServiceSpec,
  env: Record<string, string>,
): Promise<ServiceTarget> {
  const base = {
    name: service.name,
    port: service.port,
    replicas: service.replicas,
    healthPath: service.health_path,
    upstream: upstreamName(service),
  };
  for (const route of service.routes) {
    const path = chainPathFor(route, service.health_path);
    if (path === null) continue;
    const headers: Record<string, string> = {};
    const host = route.hosts.find((h) => !h.startsWith("*."));
    if (route.hosts.length > 0) {
      if (!host) continue;
      headers.host = host;
    }
    for (const [name, values] of Object.entries(route.headers)) headers[name.toLowerCase()] = values[0]!;
    const plugins = [...stack.gateway.plugins, ...service.plugins, ...route.plugins].filter((p) => p.enabled);
    const auth = await credentialFor(stack, plugins, env);
    if (auth === null) continue;
    Object.assign(headers, auth.headers);
    return {
      ...base,
      chain: {
        route: route.name,
        path,
        headers,
        ...(auth.credential ? { credential: auth.credential } : {}),
      },
    };
  }
  return {
    ...base,
    chain: {
      skip: `no route of ${service.name} reaches ${service.health_path} with a GET the probe can authenticate`,
    },
  };
}

/**
 * Headers that satisfy the auth plugins on a route, from the first consumer whose secret is
 * in .env: key-auth (first key name), basic-auth, jwt (HS* only: signed here), hmac-auth (the Date
 * header signed here, when the plugin enforces no other header). `null` when an
 * auth plugin is on and no usable credential exists; `{headers:{}}` when no auth is needed.
 */
async function credentialFor(
  stack: StackConfig,
  plugins: PluginSpec[],
  env: Record<string, string>,
): Promise<{ headers: Record<string, string>; credential?: string } | null> {
  const names = new Set(plugins.map((p) => p.name));
  // oauth2 is listed so that a route behind it only is skipped: the probe holds no token.
  const auth = ["key-auth", "basic-auth", "jwt", "hmac-auth", "oauth2"].filter((n) =>
    names.has(n as PluginSpec["name"]),
  );
  if (auth.length === 0) return { headers: {} };
  const config = (name: string): Record<string, unknown> =>
    [...plugins].reverse().find((p) => p.name === name)?.config ?? {};
  for (const consumer of stack.consumers) {
    if (names.has("key-auth")) {
      const cred = consumer.credentials["key-auth"].find((c) => env[c.key_env]);
      const keyNames = config("key-auth").key_names;
      const header = Array.isArray(keyNames) && typeof keyNames[0] === "string" ? keyNames[0] : "apikey";
      if (cred)
        return {
          headers: { [header.toLowerCase()]: env[cred.key_env]! },
          credential: `consumer ${consumer.username}'s key-auth key`,
        };
    }
    if (names.has("basic-auth")) {
      const cred = consumer.credentials["basic-auth"].find((c) => env[c.password_env]);
      if (cred)
        return {
          headers: {
            authorization: `Basic ${Buffer.from(`${cred.username}:${env[cred.password_env]}`).toString("base64")}`,
          },
          credential: `consumer ${consumer.username}'s basic-auth password`,
        };
    }
    if (names.has("jwt")) {
      const cred = consumer.credentials.jwt.find(
        (c) => c.algorithm.startsWith("HS") && c.secret_env && env[c.secret_env],
      );
      if (cred) {
        const claim = config("jwt").key_claim_name;
        const token = await new SignJWT({ [typeof claim === "string" ? claim : "iss"]: cred.key })
          .setProtectedHeader({ alg: cred.algorithm })
          .setIssuedAt()
          .setExpirationTime("2m")
          .sign(new TextEncoder().encode(env[cred.secret_env!]!));
        return {
          headers: { authorization: `Bearer ${token}` },
          credential: `a JWT for consumer ${consumer.username}`,
        };
      }
    }
    if (names.has("hmac-auth")) {
      const cred = consumer.credentials["hmac-auth"].find((c) => env[c.secret_env]);
      const headers = hmacHeaders(config("hmac-auth"), cred?.username, cred && env[cred.secret_env]);
      if (cred && headers) return { headers, credential: `consumer ${consumer.username}'s hmac-auth secret` };
    }
  }
  return null;
}

const ADDON_PROBES: Record<AddonName, { profile: string; path: string; port: number; detailPath?: string }> =
  {
    prometheus: {
      profile: "monitoring",
      port: PORTS.prometheus,
      path: "/-/ready",
      detailPath: "/api/v1/targets?state=active",
    },
    grafana: { profile: "monitoring", port: PORTS.grafana, path: "/grafana/api/health" },
    elasticsearch: { profile: "logging", port: PORTS.elasticsearch, path: "/_cluster/health" },
    logstash: { profile: "logging", port: PORTS.logstashApi, path: "/" },
    kibana: { profile: "logging", port: PORTS.kibana, path: "/kibana/api/status" },
    jenkins: { profile: "ci", port: PORTS.jenkins, path: "/jenkins/login" },
  };

export function addonTargets(stack: StackConfig): AddonTarget[] {
  const on = enabledAddons(stack);
  const names: AddonName[] = [
    ...(on.prometheus ? (["prometheus"] as const) : []),
    ...(on.grafana ? (["grafana"] as const) : []),
    ...(on.elk ? (["elasticsearch", "logstash", "kibana"] as const) : []),
    ...(on.jenkins ? (["jenkins"] as const) : []),
  ];
  return names.map((name) => {
    const p = ADDON_PROBES[name];
    return {
      name,
      service: name,
      profile: p.profile,
      url: `http://${name}:${p.port}${p.path}`,
      ...(p.detailPath ? { detailUrl: `http://${name}:${p.port}${p.detailPath}` } : {}),
    };
  });
}

/**
 * hmac-auth's headers for a probe: `Date` signed with the first accepted algorithm (hmac-sha256
 * by default); null when the plugin enforces more than the date or no secret is known.
 */
function hmacHeaders(
  config: Record<string, unknown>,
  username: string | undefined,
  secret: string | undefined,
): Record<string, string> | null {
  if (username === undefined || secret === undefined) return null;
  const enforced = Array.isArray(config.enforce_headers) ? config.enforce_headers : [];
  if (enforced.some((h) => h !== "date")) return null;
  const accepted = Array.isArray(config.algorithms) ? config.algorithms : ["hmac-sha256"];
  const algorithm = accepted.includes("hmac-sha256") ? "hmac-sha256" : String(accepted[0] ?? "hmac-sha256");
  const date = new Date().toUTCString();
  const signature = createHmac(algorithm.replace(/^hmac-/, ""), secret)
    .update(`date: ${date}`)
    .digest("base64");
  return {
    date,
    authorization: `hmac username="${username}", algorithm="${algorithm}", headers="date", signature="${signature}"`,
  };
}

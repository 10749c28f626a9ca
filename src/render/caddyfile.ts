import { credentialNames } from "../gateway/proxy/log-redaction.js";
import type { StackConfig } from "../stack/schema.js";
import { GENERATED_NOTICE } from "./header.js";
import { renderTemplate } from "./templates.js";
import {
  allPlugins,
  httpsEnabled,
  isLocalDomain,
  PORTS,
  replicaContainerName,
  type ToolRoute,
  toolRoutes,
} from "./topology.js";
import type { Artifact } from "./types.js";

export const CADDYFILE_PATH = "config/caddy/Caddyfile";

/**
 * Where the Caddyfile runs. Compose: the gateway replicas by their container names (static
 * upstreams, each health-checked on its status listener — Caddy 2.6's active checks need static
 * upstreams), basic-auth credentials from the environment at adapt time. Swarm: every gateway
 * task through a DNS name re-resolved each second (`tasks.gateway`: no virtual IP), passive
 * health and retries only, and the credentials imported from a file (a Swarm secret).
 */
export interface CaddyfileTarget {
  path: string;
  gateway: { static: string[] } | { dynamic: { name: string; port: number } };
  basicauth: { env: true } | { importFile: string };
}

export function composeCaddyfileTarget(stack: StackConfig): CaddyfileTarget {
  return {
    path: CADDYFILE_PATH,
    gateway: {
      static: Array.from(
        { length: stack.gateway.replicas },
        (_, i) => `${replicaContainerName(stack.name, "gateway", i + 1)}:${PORTS.gatewayProxy}`,
      ),
    },
    basicauth: { env: true },
  };
}

/**
 * config/caddy/Caddyfile (Caddy 2.6+ syntax). Site address by https mode:
 *  - off: plain HTTP (`:80` for localhost so any Host answers, else `http://<domain>`);
 *  - auto + real domain: automatic HTTPS (ACME); auto + localhost, or internal: `tls internal`.
 * HSTS only for HTTPS on a real domain (HSTS on localhost would pin every local dev server to HTTPS).
 * Gateway upstreams and basic-auth credentials by target (CaddyfileTarget).
 */
export function renderCaddyfile(
  stack: StackConfig,
  target: CaddyfileTarget = composeCaddyfileTarget(stack),
): Artifact {
  const https = httpsEnabled(stack);
  const local = isLocalDomain(stack.domain);
  const tlsInternal = https && (stack.https === "internal" || local);
  const siteAddress = https
    ? local
      ? `${stack.domain}, 127.0.0.1`
      : stack.domain
    : local
      ? `:${PORTS.caddyHttp}`
      : `http://${stack.domain}`;
  const siteDescription = https
    ? `HTTPS for ${stack.domain} (${tlsInternal ? "Caddy's internal CA" : "automatic certificates"})`
    : `plain HTTP for ${local ? "any host" : stack.domain}`;
  const content = renderTemplate("caddy/Caddyfile.hbs", {
    notice: GENERATED_NOTICE,
    siteDescription,
    adminPort: PORTS.caddyAdmin,
    siteAddress,
    tlsInternal,
    defaultSni: https && local ? "127.0.0.1" : null,
    hsts: https && !local,
    ...redactedLogFields(stack),
    tools: toolRoutes(stack).map((tool) => managerRoute(tool, target)),
    gatewayUpstreams: "static" in target.gateway ? target.gateway.static : null,
    portalPort: stack.portal ? PORTS.gatewayPortal : null,
    portalUpstreams: "static" in target.gateway ? target.gateway.static.map(portalUpstream) : null,
    gatewayDynamic: "dynamic" in target.gateway ? target.gateway.dynamic : null,
    basicauthImport: "importFile" in target.basicauth ? target.basicauth.importFile : null,
    gatewayStatusPort: PORTS.gatewayStatus,
    internalPort: PORTS.caddyInternal,
  });
  return { path: target.path, content };
}

/**
 * The gateway manager's route (addons.manager) goes to every replica's GUI listener, each browser
 * kept on one replica by Caddy's cookie policy (a session is valid on every replica with the same
 * admin token, but the live log and request counts are per replica); the other tools are one
 * compose service each.
 */
function managerRoute(
  tool: ToolRoute,
  target: CaddyfileTarget,
): ToolRoute & { dynamic?: { name: string; port: number }; sticky?: boolean } {
  if (!tool.upstream.startsWith("gateway:")) return tool;
  if ("dynamic" in target.gateway)
    return { ...tool, dynamic: { name: target.gateway.dynamic.name, port: PORTS.gatewayGui }, sticky: true };
  return { ...tool, upstream: target.gateway.static.map(guiUpstream).join(" "), sticky: true };
}

/** A gateway replica's proxy upstream (`host:8000`) as its GUI listener's (`host:8002`). */
function guiUpstream(proxy: string): string {
  return `${proxy.slice(0, proxy.lastIndexOf(":"))}:${PORTS.gatewayGui}`;
}

/** A gateway replica's proxy upstream (`host:8000`) as its portal listener's (`host:8003`). */
function portalUpstream(proxy: string): string {
  return `${proxy.slice(0, proxy.lastIndexOf(":"))}:${PORTS.gatewayPortal}`;
}

/**
 * What Caddy's access log hides: the gateway's credential names (log-redaction.ts: base names
 * plus the key-auth / jwt plugins' key_names, header_names, uri_param_names). Credential
 * headers are dropped (Go's canonical header form); credential query arguments in
 * `request>uri` get the value REDACTED through Caddy's `query` log filter, which compares
 * names exactly: both the configured spelling and the lowercase one are listed. Names
 * Caddyfile syntax could not carry verbatim are left to the gateway's own redaction.
 */
function redactedLogFields(stack: StackConfig): { redactedHeaders: string[]; redactedQueryArgs: string[] } {
  const names = credentialNames(allPlugins(stack));
  const headers = new Set(names.headers.filter((n) => /^[A-Za-z0-9-]+$/.test(n)).map(canonicalHeaderName));
  const queryArgs = new Set(
    names.queryArgs.flatMap((n) => [n, n.toLowerCase()]).filter((n) => /^[A-Za-z0-9._~-]+$/.test(n)),
  );
  return { redactedHeaders: [...headers].sort(), redactedQueryArgs: [...queryArgs].sort() };
}

function canonicalHeaderName(name: string): string {
  return name
    .split("-")
    .map((part) => (part === "" ? part : part[0]!.toUpperCase() + part.slice(1).toLowerCase()))
    .join("-");
}

import type { StackConfig } from "../stack/schema.js";
import { GENERATED_NOTICE } from "./header.js";
import { renderTemplate } from "./templates.js";
import {
  allPlugins,
  httpsEnabled,
  isLocalDomain,
  PORTS,
  replicaContainerName,
  toolRoutes,
} from "./topology.js";
import type { Artifact } from "./types.js";

export const CADDYFILE_PATH = "config/caddy/Caddyfile";

/**
 * config/caddy/Caddyfile (Caddy 2.6+ syntax). Site address by https mode:
 *  - off: plain HTTP (`:80` for localhost so any Host answers, else `http://<domain>`);
 *  - auto + real domain: automatic HTTPS (ACME); auto + localhost, or internal: `tls internal`.
 * HSTS only for HTTPS on a real domain (HSTS on localhost would pin every local dev server to HTTPS).
 * Gateway replicas are addressed by their compose container names so Caddy health-checks
 * and reports each replica separately (active checks need static upstreams in Caddy 2.6).
 */
export function renderCaddyfile(stack: StackConfig): Artifact {
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
  const gatewayUpstreams = Array.from(
    { length: stack.gateway.replicas },
    (_, i) => `${replicaContainerName(stack.name, "gateway", i + 1)}:${PORTS.gatewayProxy}`,
  );
  const content = renderTemplate("caddy/Caddyfile.hbs", {
    notice: GENERATED_NOTICE,
    siteDescription,
    adminPort: PORTS.caddyAdmin,
    siteAddress,
    tlsInternal,
    defaultSni: https && local ? "127.0.0.1" : null,
    hsts: https && !local,
    redactedHeaders: redactedHeaders(stack),
    tools: toolRoutes(stack),
    gatewayUpstreams,
    gatewayStatusPort: PORTS.gatewayStatus,
    internalPort: PORTS.caddyInternal,
  });
  return { path: CADDYFILE_PATH, content };
}

/**
 * Request headers dropped from Caddy's access log because they carry credentials. Caddy
 * already redacts Authorization, Proxy-Authorization and Cookie; API keys travel in the
 * key-auth plugins' key_names (default `apikey`). Names in Go's canonical header form.
 */
function redactedHeaders(stack: StackConfig): string[] {
  const names = new Set<string>(["apikey", "x-api-key"]);
  for (const plugin of allPlugins(stack)) {
    if (plugin.name !== "key-auth") continue;
    const keyNames = plugin.config.key_names;
    if (Array.isArray(keyNames))
      for (const k of keyNames) if (typeof k === "string") names.add(k.toLowerCase());
  }
  return [...names]
    .filter((n) => /^[A-Za-z0-9-]+$/.test(n))
    .map(canonicalHeaderName)
    .sort();
}

function canonicalHeaderName(name: string): string {
  return name
    .split("-")
    .map((part) => (part === "" ? part : part[0]!.toUpperCase() + part.slice(1).toLowerCase()))
    .join("-");
}

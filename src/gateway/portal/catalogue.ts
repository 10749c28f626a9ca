/**
 * What the portal lists: every service of the served configuration with its routes (name, methods,
 * paths, hosts, the authentication plugins that apply) and, when its app serves one, its OpenAPI
 * document as the portal rewrites it. Built from a snapshot and the documents fetched for it; holds
 * nothing secret (plugin names and header names only, never a configuration value or credential).
 */
import type { GatewayConfig, GatewayRoute, GatewayService } from "../config/types.js";
import { isOpenApi3, type PortalRoute, portalDocument } from "./document.js";
import type { SpecResult } from "./fetch-spec.js";
import { unmappedNote } from "./paths.js";
import { routeSecurity } from "./security.js";

export interface RouteSummary {
  name: string;
  methods: string[];
  paths: string[];
  hosts: string[];
  /** the authentication plugins that apply to the route */
  authentication: string[];
  /** why some of its paths are missing from the document (regex paths with strip_path), or null */
  note: string | null;
}

export interface ServiceEntry {
  name: string;
  /** the document's address relative to the portal (`specs/<name>.json`), or null without one */
  spec: string | null;
  /** why there is no document (its fetch failed, it is not OpenAPI 3) */
  reason: string | null;
  routes: RouteSummary[];
}

/** The name the portal shows and addresses a service by (Kong's unique name, else its id). */
export function serviceName(service: Pick<GatewayService, "name" | "id">): string {
  return service.name ?? service.id;
}

/** The HTTP routes of `service` with the authentication each asks for. */
export function portalRoutes(
  config: GatewayConfig,
  service: GatewayService,
): Array<PortalRoute & { route: GatewayRoute }> {
  return config.routes
    .filter((r) => r.service === service.id && r.protocols.some((p) => p === "http" || p === "https"))
    .map((route) => ({ route, security: routeSecurity(config, route) }));
}

function summary(route: GatewayRoute, authentication: string[]): RouteSummary {
  return {
    name: route.name ?? route.id,
    methods: route.methods ?? [],
    paths: route.paths ?? [],
    hosts: route.hosts ?? [],
    authentication,
    note: unmappedNote(route),
  };
}

/** The portal's document for a service, or why there is none. */
export function serviceDocument(
  config: GatewayConfig,
  service: GatewayService,
  fetched: SpecResult,
  serverUrl: string,
): SpecResult {
  if (!fetched.ok) return fetched;
  if (!isOpenApi3(fetched.doc)) return { ok: false, reason: "the document is not OpenAPI 3" };
  return { ok: true, doc: portalDocument(fetched.doc, service, portalRoutes(config, service), serverUrl) };
}

export function serviceEntry(config: GatewayConfig, service: GatewayService, doc: SpecResult): ServiceEntry {
  const name = serviceName(service);
  return {
    name,
    spec: doc.ok ? `specs/${encodeURIComponent(name)}.json` : null,
    reason: doc.ok ? null : doc.reason,
    routes: portalRoutes(config, service).map(({ route, security }) => summary(route, security.plugins)),
  };
}

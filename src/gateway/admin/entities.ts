/**
 * Kong-shaped views of the loaded entities for the read-only Admin API: foreign keys as
 * `{ "id": … }`, lists as the configuration wrote them (null when unset, `[]` when written
 * empty), plugin configs with secrets hidden, and lookups by id or endpoint key (name,
 * username, target).
 */
import type {
  GatewayConfig,
  GatewayConsumer,
  GatewayPluginEntry,
  GatewayRoute,
  GatewayService,
  GatewayTarget,
  GatewayUpstream,
} from "../config/types.js";
import { redactSecrets } from "./redact.js";

export const ADMIN_COLLECTIONS = [
  "services",
  "routes",
  "consumers",
  "upstreams",
  "targets",
  "plugins",
] as const;

export type AdminCollection = (typeof ADMIN_COLLECTIONS)[number];

type Entity =
  | GatewayService
  | GatewayRoute
  | GatewayConsumer
  | GatewayUpstream
  | GatewayTarget
  | GatewayPluginEntry;

const fk = (id: string | null) => (id === null ? null : { id });

export function viewOf(collection: AdminCollection, e: Entity): Record<string, unknown> {
  switch (collection) {
    case "services":
      return serviceView(e as GatewayService);
    case "routes":
      return routeView(e as GatewayRoute);
    case "consumers": {
      return { ...(e as GatewayConsumer) };
    }
    case "upstreams": {
      const u = e as GatewayUpstream;
      return { ...u, client_certificate: null, use_srv_name: false };
    }
    case "targets": {
      const t = e as GatewayTarget;
      return { ...t, upstream: fk(t.upstream) };
    }
    case "plugins": {
      const p = e as GatewayPluginEntry;
      return {
        ...p,
        config: redactSecrets(p.config),
        service: fk(p.service),
        route: fk(p.route),
        consumer: fk(p.consumer),
      };
    }
  }
}

/**
 * Routes and services are the bulk of a big configuration (POST /config answers with every
 * one): their views are spelled out field by field — several times faster than a spread —
 * and the mapped types make a field added to the entity a compile error here.
 */
function routeView(r: GatewayRoute): Record<keyof GatewayRoute | "sources" | "destinations", unknown> {
  return {
    id: r.id,
    name: r.name,
    service: fk(r.service),
    protocols: r.protocols,
    methods: r.methods,
    hosts: r.hosts,
    paths: r.paths,
    headers: r.headers,
    snis: r.snis,
    strip_path: r.strip_path,
    preserve_host: r.preserve_host,
    regex_priority: r.regex_priority,
    path_handling: r.path_handling,
    https_redirect_status_code: r.https_redirect_status_code,
    request_buffering: r.request_buffering,
    response_buffering: r.response_buffering,
    tags: r.tags,
    sources: null,
    destinations: null,
  };
}

function serviceView(
  s: GatewayService,
): Record<
  keyof GatewayService | "client_certificate" | "tls_verify" | "tls_verify_depth" | "ca_certificates",
  unknown
> {
  return {
    id: s.id,
    name: s.name,
    protocol: s.protocol,
    host: s.host,
    port: s.port,
    path: s.path,
    retries: s.retries,
    connect_timeout: s.connect_timeout,
    write_timeout: s.write_timeout,
    read_timeout: s.read_timeout,
    enabled: s.enabled,
    tags: s.tags,
    client_certificate: null,
    tls_verify: null,
    tls_verify_depth: null,
    ca_certificates: null,
  };
}

/** Entity by id or endpoint key (service/route/upstream name, consumer username/custom_id, target). */
export function findEntity(
  config: GatewayConfig,
  collection: AdminCollection,
  key: string,
): Entity | undefined {
  const lower = key.toLowerCase();
  const byId = (e: { id: string }) => e.id === lower;
  switch (collection) {
    case "services":
      return config.services.find((s) => byId(s) || s.name === key);
    case "routes":
      return config.routes.find((r) => byId(r) || r.name === key);
    case "consumers":
      return (
        config.consumers.find((c) => byId(c) || c.username === key) ??
        config.consumers.find((c) => c.custom_id === key)
      );
    case "upstreams":
      return config.upstreams.find((u) => byId(u) || u.name === key);
    case "targets":
      return config.targets.find((t) => byId(t) || t.target === key);
    case "plugins":
      return config.plugins.find(byId);
  }
}

export function allOf(config: GatewayConfig, collection: AdminCollection): Entity[] {
  return config[collection];
}

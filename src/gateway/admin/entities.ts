/**
 * Kong-shaped views of the loaded entities for the read-only Admin API: foreign keys as
 * `{ "id": … }`, empty tag sets as null, plugin configs with secrets hidden, lookups by id
 * or endpoint key (name, username, target), and Kong's paginated list envelope
 * `{ "data": [...], "next": null | "/path?offset=…", "offset"?: … }`.
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
const tagsOf = (tags: string[]) => (tags.length === 0 ? null : tags);

export function viewOf(collection: AdminCollection, e: Entity): Record<string, unknown> {
  switch (collection) {
    case "services":
      return serviceView(e as GatewayService);
    case "routes":
      return routeView(e as GatewayRoute);
    case "consumers": {
      const c = e as GatewayConsumer;
      return { ...c, tags: tagsOf(c.tags) };
    }
    case "upstreams": {
      const u = e as GatewayUpstream;
      return { ...u, tags: tagsOf(u.tags), client_certificate: null, use_srv_name: false };
    }
    case "targets": {
      const t = e as GatewayTarget;
      return { ...t, upstream: fk(t.upstream), tags: tagsOf(t.tags) };
    }
    case "plugins": {
      const p = e as GatewayPluginEntry;
      return {
        ...p,
        config: redactSecrets(p.config),
        service: fk(p.service),
        route: fk(p.route),
        consumer: fk(p.consumer),
        tags: tagsOf(p.tags),
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
    tags: tagsOf(r.tags),
    sources: null,
    destinations: null,
  };
}

function serviceView(
  s: GatewayService,
): Record<keyof GatewayService | "client_certificate" | "tls_verify" | "ca_certificates", unknown> {
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
    tags: tagsOf(s.tags),
    client_certificate: null,
    tls_verify: null,
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

export type PageResult = { ok: true; body: Record<string, unknown> } | { ok: false; message: string };

const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 100;

/** Kong tag filter: `a,b` needs both tags, `a/b` either. */
function tagFilter(tags: string | null): ((e: { tags: string[] }) => boolean) | null {
  if (tags === null || tags === "") return null;
  if (tags.includes("/")) {
    const any = tags.split("/");
    return (e) => any.some((t) => e.tags.includes(t));
  }
  const all = tags.split(",");
  return (e) => all.every((t) => e.tags.includes(t));
}

/** Kong's paginated list: `size` (1..1000, default 100), opaque `offset`, `tags` filter. */
export function paginate(
  collection: AdminCollection,
  items: Entity[],
  query: URLSearchParams,
  basePath: string,
): PageResult {
  const sizeParam = query.get("size");
  let size = DEFAULT_PAGE_SIZE;
  if (sizeParam !== null) {
    if (!/^\d+$/.test(sizeParam)) return { ok: false, message: "size must be a number" };
    size = Number(sizeParam);
    if (size < 1 || size > MAX_PAGE_SIZE)
      return { ok: false, message: `size must be an integer between 1 and ${MAX_PAGE_SIZE}` };
  }
  let start = 0;
  const offsetParam = query.get("offset");
  if (offsetParam !== null) {
    const decoded = Buffer.from(offsetParam, "base64url").toString("utf8");
    if (!/^\d+$/.test(decoded))
      return { ok: false, message: `'${offsetParam}' is not a valid offset: bad base64 encoding` };
    start = Number(decoded);
  }
  const filter = tagFilter(query.get("tags"));
  const selected = filter ? items.filter(filter) : items;
  const page = selected.slice(start, start + size).map((e) => viewOf(collection, e));
  const body: Record<string, unknown> = { data: page, next: null };
  if (start + size < selected.length) {
    const offset = Buffer.from(String(start + size)).toString("base64url");
    const params = new URLSearchParams();
    if (sizeParam !== null) params.set("size", String(size));
    if (query.get("tags")) params.set("tags", query.get("tags")!);
    params.set("offset", offset);
    body.next = `${basePath}?${params.toString()}`;
    body.offset = offset;
  }
  return { ok: true, body };
}

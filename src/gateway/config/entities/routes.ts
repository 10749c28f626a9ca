/**
 * Routes (Kong kong/db/schema/entities/routes.lua): what a request matches, and the service it
 * proxies to. Endpoint key `name`. `service` is optional (a route without one answers 503) and
 * has no `on_delete` in Kong: a service is not deleted while a route references it.
 */
import { normalizePath } from "../../router/normalize.js";
import {
  type ArrayField,
  atLeastOneOf,
  isNonEmpty,
  quotedList,
  type RecordCheck,
  type RecordField,
  setOwn,
} from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { type EntityDefinition, foreignRef, IGNORED, type Protocol } from "./entity.js";

export interface GatewayRoute {
  id: string;
  name: string | null;
  /** id of the service, or null (a route without service answers 503 in Kong) */
  service: string | null;
  protocols: Protocol[];
  methods: string[] | null;
  hosts: string[] | null;
  paths: string[] | null;
  /** header name (lowercased) → accepted values */
  headers: Record<string, string[]> | null;
  snis: string[] | null;
  strip_path: boolean;
  preserve_host: boolean;
  regex_priority: number;
  path_handling: "v0" | "v1";
  https_redirect_status_code: number;
  request_buffering: boolean;
  response_buffering: boolean;
  tags: string[] | null;
}

const HTTP_ROUTE_FIELDS = ["methods", "hosts", "headers", "paths"];

/**
 * Kong's routes_subschemas: a route must set at least one field to match on, depending on
 * its protocols (first rule whose protocol the route has applies).
 */
const MATCH_FIELD_RULES: ReadonlyArray<{ protocol: string; fields: readonly string[]; when: string }> = [
  { protocol: "https", fields: [...HTTP_ROUTE_FIELDS, "snis"], when: "'https'" },
  { protocol: "http", fields: HTTP_ROUTE_FIELDS, when: "'http'" },
  { protocol: "grpcs", fields: ["hosts", "headers", "paths", "snis"], when: "'grpcs'" },
  { protocol: "grpc", fields: ["hosts", "headers", "paths"], when: "'grpc'" },
  { protocol: "tcp", fields: ["sources", "destinations", "snis"], when: "'tcp', 'tls' or 'udp'" },
  { protocol: "tls", fields: ["sources", "destinations", "snis"], when: "'tcp', 'tls' or 'udp'" },
  { protocol: "udp", fields: ["sources", "destinations", "snis"], when: "'tcp', 'tls' or 'udp'" },
];

const routeMatchesSomething: RecordCheck = (r) => {
  const protocols = (r.protocols as string[] | null) ?? [];
  const has = (names: readonly string[]) => names.some((n) => isNonEmpty(r[n]));
  const rule = MATCH_FIELD_RULES.find((x) => protocols.includes(x.protocol));
  if (rule) {
    return has(rule.fields)
      ? null
      : { "@entity": `must set one of ${quotedList(rule.fields)} when 'protocols' is ${rule.when}` };
  }
  if (protocols.includes("tls_passthrough") && !has(["snis"])) {
    return { "@entity": "must set snis when 'protocols' is 'tls_passthrough'" };
  }
  return null;
};

/** Kong: 'snis' only with https/grpcs/tls/tls_passthrough; stream routes take no http fields. */
const routeProtocolFields: RecordCheck = (r) => {
  const protocols = (r.protocols as string[] | null) ?? [];
  const out: Record<string, string> = {};
  const isStream = protocols.some((p) => ["tcp", "tls", "udp", "tls_passthrough"].includes(p));
  const isHttp = protocols.some((p) => ["http", "https"].includes(p));
  const isGrpc = protocols.some((p) => ["grpc", "grpcs"].includes(p));
  if (isStream) {
    for (const f of ["methods", "hosts", "paths", "headers"]) {
      if (isNonEmpty(r[f]))
        out[f] = `cannot set '${f}' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'`;
    }
  }
  if (isHttp) {
    for (const f of ["sources", "destinations"]) {
      if (isNonEmpty(r[f])) out[f] = `cannot set '${f}' when 'protocols' is 'http' or 'https'`;
    }
  }
  if (isGrpc) {
    if (isNonEmpty(r.methods)) out.methods = "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'";
  }
  if (
    isNonEmpty(r.snis) &&
    !protocols.some((p) => ["https", "grpcs", "tls", "tls_passthrough"].includes(p))
  ) {
    out["@entity"] =
      "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'";
  }
  return Object.keys(out).length > 0 ? out : null;
};

const sourcesOrDestinations: ArrayField = {
  type: "set",
  elements: {
    type: "record",
    fields: { ip: t.ipOrCidr, port: t.port },
    checks: [atLeastOneOf(["ip", "port"])],
  },
};

export const routeSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    name: t.utf8Name,
    protocols: {
      type: "set",
      lenMin: 1,
      required: true,
      elements: t.protocol,
      mutuallyExclusiveSubsets: [
        ["http", "https"],
        ["tcp", "tls", "udp"],
        ["tls_passthrough"],
        ["grpc", "grpcs"],
      ],
      default: ["http", "https"],
    },
    methods: t.methods,
    hosts: t.hosts,
    paths: t.routerPaths,
    headers: t.routeHeaders,
    https_redirect_status_code: {
      type: "integer",
      oneOf: [426, 301, 302, 307, 308],
      default: 426,
      required: true,
    },
    regex_priority: { type: "integer", default: 0 },
    strip_path: { type: "boolean", required: true, default: true },
    path_handling: { type: "string", default: "v0", oneOf: ["v0", "v1"] },
    preserve_host: { type: "boolean", required: true, default: false },
    request_buffering: { type: "boolean", required: true, default: true },
    response_buffering: { type: "boolean", required: true, default: true },
    snis: { type: "set", elements: t.sni },
    sources: sourcesOrDestinations,
    destinations: sourcesOrDestinations,
    tags: t.tags,
    service: foreignRef,
  },
  checks: [routeProtocolFields, routeMatchesSomething],
};

/** Pre-3.0 paths: regex-looking paths gain the `~` prefix, plain ones are normalized. */
export function migrateRoutePaths(route: Record<string, unknown>): void {
  if (!Array.isArray(route.paths)) return;
  route.paths = route.paths.map((p) => {
    if (typeof p !== "string" || p.startsWith("~")) return p;
    if (/^[a-zA-Z0-9.\-_~/%]*$/.test(p)) return normalizePath(p, true);
    return `~${p.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
      const code = Number.parseInt(hex, 16);
      const ch = String.fromCharCode(code);
      if ("!#$%&'()*+,/:;=?@[]".includes(ch)) return m.toUpperCase();
      if (".^-{}\\|".includes(ch)) return `\\${ch}`;
      return ch;
    })}`;
  });
}

/** Header names lowercased (Kong matches them case-insensitively), values of one name merged. */
function lowercasedHeaders(headers: Record<string, string[]> | null): Record<string, string[]> | null {
  if (!headers || Object.keys(headers).length === 0) return null;
  const lowered: Record<string, string[]> = {};
  for (const [k, vals] of Object.entries(headers)) {
    const key = k.toLowerCase();
    setOwn(lowered, key, [...(lowered[key] ?? []), ...vals]);
  }
  return lowered;
}

export const routes: EntityDefinition<GatewayRoute> = {
  name: "routes",
  schema: routeSchema,
  endpointKey: "name",
  endpointKeyUnique: true,
  unique: ["name"],
  foreignKeys: {
    service: { reference: "services", required: false, nested: true },
  },
  upgrade: migrateRoutePaths,
  assemble: (e, a) => {
    const v = e.value;
    return {
      id: v.id as string,
      name: a.str(v.name),
      service: e.ref("service"),
      protocols: a.intern(v.protocols as Protocol[]),
      methods: a.list(v.methods),
      hosts: (v.hosts as string[] | null) ?? null,
      paths: (v.paths as string[] | null) ?? null,
      headers: lowercasedHeaders(v.headers as Record<string, string[]> | null),
      snis: a.list(v.snis),
      strip_path: v.strip_path as boolean,
      preserve_host: v.preserve_host as boolean,
      regex_priority: v.regex_priority as number,
      path_handling: v.path_handling as "v0" | "v1",
      https_redirect_status_code: v.https_redirect_status_code as number,
      request_buffering: v.request_buffering as boolean,
      response_buffering: v.response_buffering as boolean,
      tags: a.tags(v.tags),
    };
  },
};

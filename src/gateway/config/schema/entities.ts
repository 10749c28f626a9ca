/**
 * Kong 3.x core entity schemas (services, routes, upstreams, targets, consumers,
 * plugins, and the credential entities of key-auth, jwt, basic-auth and acl) with Kong's
 * field names, defaults, validators and entity checks. Foreign keys (`service`,
 * `consumer`…) are plain references here (name or id); the loader resolves them.
 */
import {
  type ArrayField,
  atLeastOneOf,
  type Field,
  isNonEmpty,
  MSG,
  type NumberField,
  quotedList,
  type RecordCheck,
  type RecordField,
  type StringField,
} from "./fields.js";
import * as t from "./typedefs.js";

/** Timestamps and annotations Kong accepts on every entity and that we drop. */
const IGNORED = ["created_at", "updated_at", "_comment", "_ignore", "ws_id"] as const;

/** A foreign key as written in a declarative file: name or id, or `{ id }` / `{ name }`. */
export const foreignRef: Field = { type: "any" };

/** Kong's `url` shorthand of services: scheme, host, port and path in one field. */
export function expandServiceUrl(raw: unknown): Record<string, unknown> | null {
  if (typeof raw !== "string") return null;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#]*)(?::(\d*))?([^?#]*)?/.exec(raw);
  if (!m) {
    return { host: null };
  }
  const scheme = m[1]!.toLowerCase();
  const port = m[3] ? Number(m[3]) : null;
  const protocol = scheme;
  const host = m[2] === "" ? null : m[2]!.replace(/^\[|\]$/g, "");
  return {
    protocol,
    host,
    port: port ?? (protocol === "https" ? 443 : 80),
    path: m[4] ? m[4] : null,
  };
}

function conditional(
  ifField: string,
  ifMatch: (v: unknown) => boolean,
  thenField: string,
  thenMatch: (v: unknown) => string | null,
): RecordCheck {
  return (rec) => {
    if (!ifMatch(rec[ifField])) return null;
    const err = thenMatch(rec[thenField]);
    if (!err) return null;
    return { [thenField]: err, "@entity": `failed conditional validation given value of field '${ifField}'` };
  };
}

const mustBeNull = (v: unknown): string | null =>
  v === null || v === undefined ? null : "value must be null";

const TLS_PROTOCOLS = ["https", "tls", "grpcs"];

export const serviceSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  shorthands: { url: expandServiceUrl },
  fields: {
    id: t.uuid,
    name: t.utf8Name,
    retries: { type: "integer", default: 5, between: [0, 32767] },
    protocol: { ...t.protocol, required: true, default: "http" },
    host: { ...t.host, required: true },
    port: { ...t.port, required: true, default: 80 },
    path: t.path,
    connect_timeout: { ...t.nonzeroTimeout, default: 60000 },
    write_timeout: { ...t.nonzeroTimeout, default: 60000 },
    read_timeout: { ...t.nonzeroTimeout, default: 60000 },
    tags: t.tags,
    client_certificate: foreignRef,
    tls_verify: { type: "boolean" },
    tls_verify_depth: { type: "integer", between: [0, 64] },
    ca_certificates: { type: "array", elements: t.uuid },
    enabled: { type: "boolean", required: true, default: true },
  },
  checks: [
    conditional(
      "protocol",
      (p) => ["tcp", "tls", "tls_passthrough", "grpc", "grpcs", "udp"].includes(p as string),
      "path",
      mustBeNull,
    ),
    conditional("protocol", (p) => p !== "https", "client_certificate", mustBeNull),
    // TLS settings only for TLS protocols
    ...["tls_verify", "tls_verify_depth", "ca_certificates"].map((field) =>
      conditional("protocol", (p) => !TLS_PROTOCOLS.includes(p as string), field, mustBeNull),
    ),
  ],
};

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

const seconds: NumberField = { type: "number", between: [0, 65535] };
const oneByteInteger: NumberField = { type: "integer", between: [0, 255] };
const positiveInt: NumberField = { type: "integer", between: [1, 2 ** 31 - 1] };
const httpStatuses: ArrayField = {
  type: "array",
  elements: { type: "integer", between: [100, 999] },
};
const checkType: StringField = {
  type: "string",
  oneOf: ["tcp", "http", "https", "grpc", "grpcs"],
  default: "http",
};

export const ACTIVE_HEALTHY_STATUSES = [200, 302];
export const ACTIVE_UNHEALTHY_STATUSES = [429, 404, 500, 501, 502, 503, 504, 505];
export const PASSIVE_HEALTHY_STATUSES = [
  200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
];
export const PASSIVE_UNHEALTHY_STATUSES = [429, 500, 503];

const activeHealthcheck: RecordField = {
  type: "record",
  default: {},
  fields: {
    type: checkType,
    timeout: { ...seconds, default: 1 },
    concurrency: { ...positiveInt, default: 10 },
    http_path: { ...t.path, default: "/" },
    https_sni: t.sni,
    https_verify_certificate: { type: "boolean", required: true, default: true },
    headers: { type: "map", keys: t.headerName, values: { type: "array", elements: { type: "string" } } },
    healthy: {
      type: "record",
      default: {},
      fields: {
        interval: { ...seconds, default: 0 },
        http_statuses: { ...httpStatuses, default: ACTIVE_HEALTHY_STATUSES },
        successes: { ...oneByteInteger, default: 0 },
      },
    },
    unhealthy: {
      type: "record",
      default: {},
      fields: {
        interval: { ...seconds, default: 0 },
        http_statuses: { ...httpStatuses, default: ACTIVE_UNHEALTHY_STATUSES },
        tcp_failures: { ...oneByteInteger, default: 0 },
        timeouts: { ...oneByteInteger, default: 0 },
        http_failures: { ...oneByteInteger, default: 0 },
      },
    },
  },
};

const passiveHealthcheck: RecordField = {
  type: "record",
  default: {},
  fields: {
    type: checkType,
    healthy: {
      type: "record",
      default: {},
      fields: {
        http_statuses: { ...httpStatuses, default: PASSIVE_HEALTHY_STATUSES },
        successes: { ...oneByteInteger, default: 0 },
      },
    },
    unhealthy: {
      type: "record",
      default: {},
      fields: {
        http_statuses: { ...httpStatuses, default: PASSIVE_UNHEALTHY_STATUSES },
        tcp_failures: { ...oneByteInteger, default: 0 },
        timeouts: { ...oneByteInteger, default: 0 },
        http_failures: { ...oneByteInteger, default: 0 },
      },
    },
  },
};

const HASH_ON = ["none", "consumer", "ip", "header", "cookie", "path", "query_arg", "uri_capture"] as const;

function upstreamName(n: string): string | null {
  const r = t.parseHostPort(n);
  if (!r.ok) return `Invalid name ('${n}'); must be a valid hostname`;
  if (r.type !== "name") return `Invalid name ('${n}'); no ip addresses allowed`;
  if (r.port !== null) return `Invalid name ('${n}'); no port allowed`;
  return null;
}

/** Kong's hash_on / hash_fallback entity checks. */
const upstreamHashChecks: RecordCheck = (u) => {
  const errs: Record<string, string> = {};
  const need = (ifField: string, value: string, thenField: string) => {
    if (u[ifField] === value && (u[thenField] === null || u[thenField] === undefined)) {
      errs[thenField] = MSG.REQUIRED;
      errs["@entity"] = `failed conditional validation given value of field '${ifField}'`;
    }
  };
  need("hash_on", "header", "hash_on_header");
  need("hash_fallback", "header", "hash_fallback_header");
  need("hash_on", "cookie", "hash_on_cookie");
  need("hash_fallback", "cookie", "hash_on_cookie");
  need("hash_on", "query_arg", "hash_on_query_arg");
  need("hash_fallback", "query_arg", "hash_fallback_query_arg");
  need("hash_on", "uri_capture", "hash_on_uri_capture");
  need("hash_fallback", "uri_capture", "hash_fallback_uri_capture");
  const fallbackOneOf = (hashOn: string, allowed: readonly string[]) => {
    if (u.hash_on === hashOn && !allowed.includes(u.hash_fallback as string)) {
      errs.hash_fallback = MSG.ONE_OF(allowed);
      errs["@entity"] = "failed conditional validation given value of field 'hash_on'";
    }
  };
  fallbackOneOf("none", ["none"]);
  fallbackOneOf("cookie", ["none"]);
  fallbackOneOf("consumer", ["none", "ip", "header", "cookie", "path", "query_arg", "uri_capture"]);
  fallbackOneOf("ip", ["none", "consumer", "header", "cookie", "path", "query_arg", "uri_capture"]);
  fallbackOneOf("path", ["none", "consumer", "ip", "header", "cookie", "query_arg", "uri_capture"]);
  if (
    u.hash_on_header !== null &&
    u.hash_on_header !== undefined &&
    typeof u.hash_on_header === "string" &&
    typeof u.hash_fallback_header === "string" &&
    u.hash_on_header.toLowerCase() === u.hash_fallback_header.toLowerCase()
  ) {
    errs["@entity"] =
      `values of these fields must be distinct: ${quotedList(["hash_on_header", "hash_fallback_header"])}`;
  }
  return Object.keys(errs).length > 0 ? errs : null;
};

export const upstreamSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    name: { type: "string", required: true, check: upstreamName },
    algorithm: {
      type: "string",
      default: "round-robin",
      oneOf: ["consistent-hashing", "least-connections", "round-robin", "latency"],
    },
    hash_on: { type: "string", default: "none", oneOf: HASH_ON },
    hash_fallback: { type: "string", default: "none", oneOf: HASH_ON },
    hash_on_header: t.headerName,
    hash_fallback_header: t.headerName,
    hash_on_cookie: {
      type: "string",
      check: (c) => (/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(c) ? null : `invalid cookie name: ${c}`),
    },
    hash_on_cookie_path: { ...t.path, default: "/" },
    hash_on_query_arg: { type: "string" },
    hash_fallback_query_arg: { type: "string" },
    hash_on_uri_capture: { type: "string" },
    hash_fallback_uri_capture: { type: "string" },
    slots: { type: "integer", default: 10000, between: [10, 2 ** 16] },
    healthchecks: {
      type: "record",
      default: {},
      fields: {
        active: activeHealthcheck,
        passive: passiveHealthcheck,
        threshold: { type: "number", default: 0, between: [0, 100] },
      },
    },
    tags: t.tags,
    host_header: t.host,
    client_certificate: foreignRef,
    use_srv_name: { type: "boolean", default: false },
  },
  checks: [upstreamHashChecks],
};

function validateTarget(target: string): string | null {
  return t.parseHostPort(target).ok
    ? null
    : `Invalid target ('${target}'); not a valid hostname or ip address`;
}

export const targetSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    upstream: foreignRef,
    target: { type: "string", required: true, check: validateTarget },
    weight: { type: "integer", default: 100, between: [0, 65535] },
    tags: t.tags,
  },
};

export const consumerSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    username: { type: "string" },
    custom_id: { type: "string" },
    tags: t.tags,
  },
  checks: [atLeastOneOf(["custom_id", "username"])],
};

export const keyauthCredentialSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    consumer: foreignRef,
    key: { type: "string" },
    ttl: { type: "integer" },
    tags: t.tags,
  },
};

export const JWT_ALGORITHMS = [
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "ES256",
  "ES384",
  "ES512",
  "PS256",
  "PS384",
  "PS512",
  "EdDSA",
] as const;

const jwtPublicKeyRequired: RecordCheck = (j) => {
  const alg = j.algorithm as string;
  if (/^(RS|ES|PS)\d+$|^EdDSA$/.test(alg) && (j.rsa_public_key === null || j.rsa_public_key === undefined)) {
    return {
      rsa_public_key: MSG.REQUIRED,
      "@entity": "failed conditional validation given value of field 'algorithm'",
    };
  }
  return null;
};

export const jwtSecretSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    consumer: foreignRef,
    key: { type: "string" },
    secret: { type: "string" },
    rsa_public_key: { type: "string" },
    algorithm: { type: "string", default: "HS256", oneOf: JWT_ALGORITHMS },
    tags: t.tags,
  },
  checks: [jwtPublicKeyRequired],
};

export const basicauthCredentialSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    consumer: foreignRef,
    username: { type: "string", required: true },
    password: { type: "string", required: true },
    tags: t.tags,
  },
};

export const aclSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    consumer: foreignRef,
    group: { type: "string", required: true },
    tags: t.tags,
  },
};

/** The plugin entity; `config` is validated by the plugin's own schema afterwards. */
export const pluginSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    name: { type: "string", required: true },
    instance_name: t.utf8Name,
    route: foreignRef,
    service: foreignRef,
    consumer: foreignRef,
    config: { type: "any" },
    protocols: {
      type: "set",
      required: true,
      default: ["grpc", "grpcs", "http", "https"],
      elements: t.protocol,
    },
    enabled: { type: "boolean", required: true, default: true },
    tags: t.tags,
  },
};

/** Kong also validates these (certificates, snis, vaults…); we accept and ignore them. */
export const OPAQUE_COLLECTIONS = [
  "certificates",
  "ca_certificates",
  "snis",
  "vaults",
  "keys",
  "key_sets",
  "consumer_groups",
  "filter_chains",
  "parameters",
  "hmacauth_credentials",
  "oauth2_credentials",
  "mtls_auth_credentials",
] as const;

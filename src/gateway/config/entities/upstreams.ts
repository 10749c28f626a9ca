/**
 * Upstreams (Kong kong/db/schema/entities/upstreams.lua): a load-balanced set of targets, with
 * their health checks. Endpoint key `name` (a hostname a service's `host` names). Kong's
 * `client_certificate` (a certificate) is accepted as written and not modelled.
 */
import {
  type ArrayField,
  MSG,
  type NumberField,
  quotedList,
  type RecordCheck,
  type RecordField,
  type StringField,
} from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { type EntityDefinition, foreignRef, IGNORED } from "./entity.js";

export interface HealthcheckActive {
  type: "http" | "https" | "tcp";
  http_path: string;
  /** SNI sent by https probes (null: the target host) */
  https_sni?: string | null;
  timeout: number; // seconds
  concurrency: number;
  https_verify_certificate: boolean;
  headers: Record<string, string[]> | null;
  healthy: { interval: number; successes: number; http_statuses: number[] };
  unhealthy: {
    interval: number;
    http_failures: number;
    tcp_failures: number;
    timeouts: number;
    http_statuses: number[];
  };
}

export interface HealthcheckPassive {
  type: "http" | "https" | "tcp";
  healthy: { successes: number; http_statuses: number[] };
  unhealthy: { http_failures: number; tcp_failures: number; timeouts: number; http_statuses: number[] };
}

export interface GatewayUpstream {
  id: string;
  name: string;
  algorithm: "round-robin" | "least-connections" | "consistent-hashing" | "latency";
  hash_on: "none" | "consumer" | "ip" | "header" | "cookie" | "path" | "query_arg" | "uri_capture";
  hash_fallback: "none" | "consumer" | "ip" | "header" | "cookie" | "path" | "query_arg" | "uri_capture";
  hash_on_header: string | null;
  hash_fallback_header: string | null;
  hash_on_cookie: string | null;
  hash_on_cookie_path: string;
  hash_on_query_arg: string | null;
  hash_fallback_query_arg: string | null;
  hash_on_uri_capture: string | null;
  hash_fallback_uri_capture: string | null;
  slots: number;
  host_header: string | null;
  healthchecks: { active: HealthcheckActive; passive: HealthcheckPassive; threshold: number };
  tags: string[] | null;
}

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

export const upstreams: EntityDefinition<GatewayUpstream> = {
  name: "upstreams",
  schema: upstreamSchema,
  endpointKey: "name",
  endpointKeyUnique: true,
  unique: ["name"],
  foreignKeys: {},
  assemble: ({ value: v }, a) => ({
    id: v.id as string,
    name: v.name as string,
    algorithm: v.algorithm as GatewayUpstream["algorithm"],
    hash_on: v.hash_on as GatewayUpstream["hash_on"],
    hash_fallback: v.hash_fallback as GatewayUpstream["hash_fallback"],
    hash_on_header: a.str(v.hash_on_header),
    hash_fallback_header: a.str(v.hash_fallback_header),
    hash_on_cookie: a.str(v.hash_on_cookie),
    hash_on_cookie_path: v.hash_on_cookie_path as string,
    hash_on_query_arg: a.str(v.hash_on_query_arg),
    hash_fallback_query_arg: a.str(v.hash_fallback_query_arg),
    hash_on_uri_capture: a.str(v.hash_on_uri_capture),
    hash_fallback_uri_capture: a.str(v.hash_fallback_uri_capture),
    slots: v.slots as number,
    host_header: a.str(v.host_header),
    healthchecks: v.healthchecks as GatewayUpstream["healthchecks"],
    tags: a.tags(v.tags),
  }),
};

/**
 * Services (Kong kong/db/schema/entities/services.lua): where a route proxies to. Endpoint key
 * `name`. Kong's `client_certificate` (a certificate) is accepted as written and not modelled.
 */
import type { RecordCheck, RecordField } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { type EntityDefinition, foreignRef, IGNORED, type Protocol } from "./entity.js";

export interface GatewayService {
  id: string;
  name: string | null;
  protocol: Protocol;
  host: string;
  port: number;
  path: string | null;
  retries: number;
  /** milliseconds */
  connect_timeout: number;
  write_timeout: number;
  read_timeout: number;
  enabled: boolean;
  tags: string[] | null;
}

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

export const services: EntityDefinition<GatewayService> = {
  name: "services",
  schema: serviceSchema,
  endpointKey: "name",
  endpointKeyUnique: true,
  unique: ["name"],
  foreignKeys: {},
  assemble: ({ value: v }, a) => ({
    id: v.id as string,
    name: a.str(v.name),
    protocol: v.protocol as Protocol,
    host: v.host as string,
    port: v.port as number,
    path: a.str(v.path),
    retries: v.retries as number,
    connect_timeout: v.connect_timeout as number,
    write_timeout: v.write_timeout as number,
    read_timeout: v.read_timeout as number,
    enabled: v.enabled as boolean,
    tags: a.tags(v.tags),
  }),
};

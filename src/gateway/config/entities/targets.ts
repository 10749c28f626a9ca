/**
 * Targets (Kong kong/db/schema/entities/targets.lua): one `host:port` of an upstream, with its
 * weight. Endpoint key `target`, unique only within its upstream (cache key upstream + target);
 * deleted with its upstream.
 */
import type { RecordField } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { type EntityDefinition, foreignRef, IGNORED } from "./entity.js";

export interface GatewayTarget {
  id: string;
  upstream: string; // upstream id
  /** "host:port" as written (port defaults to 8000 as in Kong) */
  target: string;
  weight: number;
  tags: string[] | null;
}

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

/** `host` → `host:8000`; `[v6]` / `v6` → `[v6]:8000`; an explicit port is kept. */
export function withDefaultPort(target: string, port: number): string {
  if (target.startsWith("[")) return /\]:\d+$/.test(target) ? target : `${target}:${port}`;
  const colons = target.split(":").length - 1;
  if (colons === 0) return `${target}:${port}`;
  if (colons === 1) return target;
  return `[${target}]:${port}`;
}

export const targets: EntityDefinition<GatewayTarget> = {
  name: "targets",
  schema: targetSchema,
  endpointKey: "target",
  endpointKeyUnique: false,
  cacheKey: ["upstream", "target"],
  unique: [],
  foreignKeys: {
    upstream: { reference: "upstreams", required: true, onDelete: "cascade", nested: true },
  },
  idKey: (e) => `${String(e.value.target)}:${String(e.ref("upstream"))}`,
  assemble: (e, a) => ({
    id: e.value.id as string,
    upstream: e.ref("upstream") as string,
    target: withDefaultPort(e.value.target as string, 8000),
    weight: e.value.weight as number,
    tags: a.tags(e.value.tags),
  }),
};

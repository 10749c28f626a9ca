/**
 * A loaded configuration as stored records: one flat list per entity kind, every entity with its
 * id, foreign keys as `{ "id": … }` — a declarative document the loader reads back to the same
 * entities (what `POST /config` stores in database mode, what `stack gateway dump` writes). Parse
 * with vault references kept (`resolveVaultReferences: false`), so a secret stays a reference.
 */
import { ENTITIES } from "../config/entities/index.js";
import { KINDS, type KindName } from "../config/kinds.js";
import { newAssembly } from "../config/load.js";
import type { GatewayConfig } from "../config/types.js";
import type { StoredRecord } from "./types.js";

/** Collections in the order a declarative document lists them (parents first). */
export const STORED_KINDS: readonly KindName[] = [
  "services",
  "routes",
  "upstreams",
  "targets",
  "consumers",
  "keyauth_credentials",
  "jwt_secrets",
  "basicauth_credentials",
  "hmacauth_credentials",
  "oauth2_credentials",
  "acls",
  "plugins",
  "oauth2_authorization_codes",
  "oauth2_tokens",
];

/** One entity of a loaded configuration as its stored record. */
export function storedRecordOf(kind: KindName, entity: { id: string }): StoredRecord {
  const record: StoredRecord = { ...(entity as Record<string, unknown>), id: entity.id };
  for (const field of Object.keys(KINDS[kind].foreign)) {
    const ref = record[field];
    record[field] = typeof ref === "string" ? { id: ref } : null;
  }
  return record;
}

export function storedRecordsOf(config: GatewayConfig): Map<KindName, StoredRecord[]> {
  const out = new Map<KindName, StoredRecord[]>();
  for (const kind of STORED_KINDS) {
    const entities = config[kind] as ReadonlyArray<{ id: string }>;
    out.set(
      kind,
      entities.map((e) => storedRecordOf(kind, e)),
    );
  }
  return out;
}

/** The records as a declarative document (`_format_version` 3.0, empty collections left out). */
export function documentOf(records: ReadonlyMap<KindName, readonly StoredRecord[]>): Record<string, unknown> {
  const doc: Record<string, unknown> = { _format_version: "3.0" };
  for (const kind of STORED_KINDS) {
    const list = records.get(kind);
    if (list && list.length > 0) doc[kind] = list;
  }
  return doc;
}

/**
 * What database mode stores beside the configuration: the oauth2 tokens and codes the plugin issues
 * (each one a write). A change to these only is served in place (no new router and plugins).
 */
export const RUNTIME_KINDS = ["oauth2_tokens", "oauth2_authorization_codes"] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

export type RuntimeEntities = Pick<GatewayConfig, RuntimeKind>;

/**
 * The runtime entities of a stored document as the loader assembles them. Their records were
 * checked when written (schema, foreign keys) and nothing else refers to them, so they need no
 * parse of the whole document.
 */
export function runtimeEntitiesOf(document: Record<string, unknown>): RuntimeEntities {
  const a = newAssembly();
  const of = <K extends RuntimeKind>(kind: K): GatewayConfig[K] => {
    const list = document[kind];
    if (!Array.isArray(list)) return [];
    return (list as StoredRecord[]).map((value) =>
      ENTITIES[kind].assemble({ value, ref: (field) => refOf(value[field]) }, a),
    ) as GatewayConfig[K];
  };
  return { oauth2_tokens: of("oauth2_tokens"), oauth2_authorization_codes: of("oauth2_authorization_codes") };
}

function refOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && typeof (value as { id?: unknown }).id === "string")
    return (value as { id: string }).id;
  return null;
}

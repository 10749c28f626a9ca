/**
 * The entity kinds of a declarative document and their relations: which collections may
 * be nested inside which (and the foreign key the nesting implies), which fields are
 * foreign keys to which collection, Kong's endpoint keys (used for references by name and
 * for deterministic ids), cache keys, and unique fields.
 */
import {
  aclSchema,
  basicauthCredentialSchema,
  consumerSchema,
  jwtSecretSchema,
  keyauthCredentialSchema,
  pluginSchema,
  routeSchema,
  serviceSchema,
  targetSchema,
  upstreamSchema,
} from "./schema/entities.js";
import type { RecordField } from "./schema/fields.js";

export type KindName =
  | "services"
  | "routes"
  | "upstreams"
  | "targets"
  | "consumers"
  | "plugins"
  | "keyauth_credentials"
  | "jwt_secrets"
  | "basicauth_credentials"
  | "acls";

export interface KindSpec {
  schema: RecordField;
  /** Field by which other entities reference this one besides `id` (Kong endpoint_key). */
  endpointKey?: string;
  /** true when the endpoint key is unique across the document (not only per parent). */
  endpointKeyUnique: boolean;
  /** Kong cache_key fields, used for ids when there is no endpoint key. */
  cacheKey?: readonly string[];
  /** Fields that must be unique across the document. */
  unique: readonly string[];
  /** Foreign key field → referenced collection. */
  foreign: Readonly<Record<string, KindName>>;
  /** Foreign keys that must be set (by nesting or by reference). */
  requiredForeign: readonly string[];
  /** Nested collection → foreign key field it sets on the child. */
  children: Readonly<Partial<Record<KindName, string>>>;
}

const CREDENTIAL_BASE = {
  foreign: { consumer: "consumers" },
  requiredForeign: ["consumer"],
  children: {},
} as const;

export const KINDS: Readonly<Record<KindName, KindSpec>> = {
  services: {
    schema: serviceSchema,
    endpointKey: "name",
    endpointKeyUnique: true,
    unique: ["name"],
    foreign: {},
    requiredForeign: [],
    children: { routes: "service", plugins: "service" },
  },
  routes: {
    schema: routeSchema,
    endpointKey: "name",
    endpointKeyUnique: true,
    unique: ["name"],
    foreign: { service: "services" },
    requiredForeign: [],
    children: { plugins: "route" },
  },
  upstreams: {
    schema: upstreamSchema,
    endpointKey: "name",
    endpointKeyUnique: true,
    unique: ["name"],
    foreign: {},
    requiredForeign: [],
    children: { targets: "upstream" },
  },
  targets: {
    schema: targetSchema,
    endpointKey: "target",
    endpointKeyUnique: false,
    cacheKey: ["upstream", "target"],
    unique: [],
    foreign: { upstream: "upstreams" },
    requiredForeign: ["upstream"],
    children: {},
  },
  consumers: {
    schema: consumerSchema,
    endpointKey: "username",
    endpointKeyUnique: true,
    unique: ["username", "custom_id"],
    foreign: {},
    requiredForeign: [],
    children: {
      plugins: "consumer",
      keyauth_credentials: "consumer",
      jwt_secrets: "consumer",
      basicauth_credentials: "consumer",
      acls: "consumer",
    },
  },
  plugins: {
    schema: pluginSchema,
    endpointKeyUnique: false,
    cacheKey: ["name", "route", "service", "consumer"],
    unique: ["instance_name"],
    foreign: { route: "routes", service: "services", consumer: "consumers" },
    requiredForeign: [],
    children: {},
  },
  keyauth_credentials: {
    ...CREDENTIAL_BASE,
    schema: keyauthCredentialSchema,
    endpointKey: "key",
    endpointKeyUnique: true,
    unique: ["key"],
  },
  jwt_secrets: {
    ...CREDENTIAL_BASE,
    schema: jwtSecretSchema,
    endpointKey: "key",
    endpointKeyUnique: true,
    unique: ["key"],
  },
  basicauth_credentials: {
    ...CREDENTIAL_BASE,
    schema: basicauthCredentialSchema,
    endpointKey: "username",
    endpointKeyUnique: true,
    unique: ["username"],
  },
  acls: {
    ...CREDENTIAL_BASE,
    schema: aclSchema,
    endpointKeyUnique: false,
    cacheKey: ["consumer", "group"],
    unique: [],
  },
};

export const KIND_NAMES = Object.keys(KINDS) as KindName[];

/** Nested collection → foreign key, per parent collection (for error flattening). */
export const NESTED_CHILDREN: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.fromEntries(
  KIND_NAMES.map((k) => [k, KINDS[k].children as Record<string, string>]),
);

export function isKindName(s: string): s is KindName {
  return Object.hasOwn(KINDS, s);
}

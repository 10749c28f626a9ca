/**
 * The registry of entity kinds: one file per kind (config/entities/<kind>.ts) holding its schema,
 * runtime type, relations and assembly; here they are listed, and the views the loader, Admin API
 * and stores read are derived from them — which collections nest in which, the foreign keys
 * pointing at a kind (with their `on_delete`), the per-kind spec (KINDS).
 */
import { type AclGroup, acls } from "./acls.js";
import { type BasicAuthCredential, basicauth_credentials } from "./basicauth_credentials.js";
import { consumers, type GatewayConsumer } from "./consumers.js";
import type { EntityDefinition, KindName, OnDelete } from "./entity.js";
import { type HmacAuthCredential, hmacauth_credentials } from "./hmacauth_credentials.js";
import { type JwtSecret, jwt_secrets } from "./jwt_secrets.js";
import { type KeyAuthCredential, keyauth_credentials } from "./keyauth_credentials.js";
import { type OAuth2AuthorizationCode, oauth2_authorization_codes } from "./oauth2_authorization_codes.js";
import { type OAuth2Credential, oauth2_credentials } from "./oauth2_credentials.js";
import { type OAuth2Token, oauth2_tokens } from "./oauth2_tokens.js";
import { type GatewayPluginEntry, plugins } from "./plugins.js";
import { type GatewayRoute, routes } from "./routes.js";
import { type GatewayService, services } from "./services.js";
import { type GatewayTarget, targets } from "./targets.js";
import { type GatewayUpstream, upstreams } from "./upstreams.js";

export type {
  Assembly,
  CheckContext,
  EntityDefinition,
  ForeignKey,
  KindName,
  LoadedEntity,
  OnDelete,
  PluginLookup,
  Protocol,
} from "./entity.js";

/** The runtime type of each kind. */
export interface EntityTypes {
  services: GatewayService;
  routes: GatewayRoute;
  upstreams: GatewayUpstream;
  targets: GatewayTarget;
  consumers: GatewayConsumer;
  plugins: GatewayPluginEntry;
  keyauth_credentials: KeyAuthCredential;
  jwt_secrets: JwtSecret;
  basicauth_credentials: BasicAuthCredential;
  hmacauth_credentials: HmacAuthCredential;
  oauth2_credentials: OAuth2Credential;
  oauth2_authorization_codes: OAuth2AuthorizationCode;
  oauth2_tokens: OAuth2Token;
  acls: AclGroup;
}

/** Every kind, in the order the loader walks them (parents before the kinds referencing them). */
export const ENTITIES: { readonly [K in KindName]: EntityDefinition<EntityTypes[K]> } = {
  services,
  routes,
  upstreams,
  targets,
  consumers,
  plugins,
  keyauth_credentials,
  jwt_secrets,
  basicauth_credentials,
  hmacauth_credentials,
  oauth2_credentials,
  oauth2_authorization_codes,
  oauth2_tokens,
  acls,
};

export const KIND_NAMES = Object.keys(ENTITIES) as KindName[];

export function isKindName(s: string): s is KindName {
  return Object.hasOwn(ENTITIES, s);
}

/**
 * The collections of a loaded configuration (GatewayConfig) and of a declarative document as
 * written back (store/records.ts): credentials before plugins.
 */
export const CONFIG_KINDS: readonly KindName[] = [
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
  // after plugins: codes reference the plugin that issued them
  "oauth2_authorization_codes",
  "oauth2_tokens",
];

/**
 * Open-source Kong collections this gateway accepts and ignores (Kong also validates them:
 * certificates, snis, vaults…). Kong Enterprise collections (consumer_groups,
 * mtls_auth_credentials…) and open-source ones not run yet (filter_chains) are refused by
 * editions.ts's REFUSED_TOP_LEVEL instead, not listed here.
 */
export const OPAQUE_COLLECTIONS = [
  "certificates",
  "ca_certificates",
  "snis",
  "vaults",
  "keys",
  "key_sets",
  "parameters",
] as const;

/** A foreign key of `kind` pointing at another kind, and what deleting that one does to it. */
export interface Reference {
  kind: KindName;
  field: string;
  /** Kong's on_delete; unset in Kong acts as restrict (the database refuses the delete). */
  onDelete: OnDelete;
}

const REFERENCES_TO: ReadonlyMap<KindName, readonly Reference[]> = (() => {
  const out = new Map<KindName, Reference[]>(KIND_NAMES.map((k) => [k, []]));
  for (const kind of KIND_NAMES) {
    for (const [field, fk] of Object.entries(ENTITIES[kind].foreignKeys)) {
      out.get(fk.reference)!.push({ kind, field, onDelete: fk.onDelete ?? "restrict" });
    }
  }
  return out;
})();

/** The foreign keys referencing `parent`, in registry order. */
export function referencesTo(parent: KindName): readonly Reference[] {
  return REFERENCES_TO.get(parent) ?? [];
}

/** The per-kind view the loader, the Admin API and the stores read. */
export type KindSpec = Pick<
  EntityDefinition,
  "schema" | "endpointKey" | "endpointKeyUnique" | "cacheKey" | "unique"
> & {
  /** Foreign key field → referenced collection. */
  foreign: Readonly<Record<string, KindName>>;
  /** Foreign keys that must be set (by nesting or by reference). */
  requiredForeign: readonly string[];
  /** Nested collection → foreign key field it sets on the child. */
  children: Readonly<Partial<Record<KindName, string>>>;
};

function specOf(kind: KindName): KindSpec {
  const def: EntityDefinition = ENTITIES[kind];
  const fks = Object.entries(def.foreignKeys);
  const children: Partial<Record<KindName, string>> = {};
  for (const child of KIND_NAMES) {
    for (const [field, fk] of Object.entries(ENTITIES[child].foreignKeys)) {
      if (fk.reference === kind && fk.nested) children[child] = field;
    }
  }
  const spec: KindSpec = {
    schema: def.schema,
    endpointKeyUnique: def.endpointKeyUnique,
    unique: def.unique,
    foreign: Object.fromEntries(fks.map(([field, fk]) => [field, fk.reference])),
    requiredForeign: fks.filter(([, fk]) => fk.required).map(([field]) => field),
    children,
  };
  if (def.endpointKey !== undefined) spec.endpointKey = def.endpointKey;
  if (def.cacheKey !== undefined) spec.cacheKey = def.cacheKey;
  return spec;
}

export const KINDS: Readonly<Record<KindName, KindSpec>> = Object.fromEntries(
  KIND_NAMES.map((k) => [k, specOf(k)]),
) as Record<KindName, KindSpec>;

/** Nested collection → foreign key, per parent collection (for error flattening). */
export const NESTED_CHILDREN: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.fromEntries(
  KIND_NAMES.map((k) => [k, KINDS[k].children as Record<string, string>]),
);

/**
 * Consumers' credentials and plugin scopes, for the pages' forms: which credential collections
 * the entity schemas list (Admin API segment under `/consumers/{c}/` → entity kind), which of
 * their fields are secrets (typed into password inputs; the manager's server redacts them in
 * every answer, so the page never shows one), global plugins.
 */
import type { Entity, JsonSchema } from "./types.js";

export interface CredentialKind {
  /** the Admin API collection under a consumer: `key-auth`, `basic-auth`, `jwt`… */
  segment: string;
  /** the entity kind of `/gui-api/entity-schemas`: `keyauth_credentials`… */
  kind: string;
  /** singular for titles ("key-auth credential") */
  noun: string;
}

/** Kong's credential collections under a consumer (each plugin's daos.lua `admin_api_name`). */
const KNOWN: readonly CredentialKind[] = [
  { segment: "key-auth", kind: "keyauth_credentials", noun: "key-auth credential" },
  { segment: "basic-auth", kind: "basicauth_credentials", noun: "basic-auth credential" },
  { segment: "jwt", kind: "jwt_secrets", noun: "jwt credential" },
  { segment: "hmac-auth", kind: "hmacauth_credentials", noun: "hmac-auth credential" },
  { segment: "acls", kind: "acls", noun: "acl group" },
  { segment: "oauth2", kind: "oauth2_credentials", noun: "oauth2 application" },
];

/** The credential kinds this gateway has a schema for, in Kong's order; all known ones before schemas load. */
export function credentialKinds(schemas?: Record<string, JsonSchema>): CredentialKind[] {
  return schemas === undefined ? [...KNOWN] : KNOWN.filter((k) => schemas[k.kind] !== undefined);
}

const SECRET_FIELDS: readonly string[] = ["key", "secret", "password", "client_secret"];

/** A field that holds a secret: its form control hides what is typed. */
export function isSecretField(name: string): boolean {
  return SECRET_FIELDS.includes(name);
}

/** The secret fields a credential kind's schema has (its form says how to leave them blank). */
export function secretFieldsOf(schema: JsonSchema | undefined): string[] {
  return Object.keys(schema?.properties ?? {}).filter(isSecretField);
}

const refId = (v: unknown): string | null =>
  v !== null && typeof v === "object" && typeof (v as { id?: unknown }).id === "string"
    ? (v as { id: string }).id
    : null;

/** A plugin on no service, route or consumer: it applies to every request. */
export function isGlobalPlugin(p: Entity): boolean {
  return refId(p.service) === null && refId(p.route) === null && refId(p.consumer) === null;
}

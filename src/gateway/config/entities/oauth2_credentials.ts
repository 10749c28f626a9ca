/**
 * OAuth 2.0 client applications (Kong kong/plugins/oauth2/daos.lua `oauth2_credentials`, Admin API
 * name `oauth2`): a consumer's application — its name, `client_id` (unique, generated when left
 * out), `client_secret` (generated; stored as Kong's PBKDF2 hash when `hash_secret`), the
 * `redirect_uris` the authorize endpoint may send back to, and whether it is a `confidential` or a
 * `public` client. Endpoint and cache key `client_id`; deleted with the consumer.
 */
import { randomBytes } from "node:crypto";
import type { RecordField } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { consumerKey, credentialBase, type EntityDefinition, foreignRef, IGNORED } from "./entity.js";

export type OAuth2ClientType = "confidential" | "public";

export interface OAuth2Credential {
  id: string;
  consumer: string;
  name: string;
  client_id: string;
  /** as stored: plain, or Kong's `$pbkdf2-sha512$…` hash when `hash_secret` */
  client_secret: string;
  hash_secret: boolean;
  redirect_uris: string[] | null;
  client_type: OAuth2ClientType;
  tags: string[] | null;
}

/** Kong's validate_uri: a scheme and a host, no fragment. */
function checkRedirectUri(uri: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return `cannot parse '${uri}'`;
  }
  if (parsed.host === "" || !/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return `cannot parse '${uri}'`;
  if (uri.includes("#")) return `fragment not allowed in '${uri}'`;
  return null;
}

export const oauth2CredentialSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    consumer: foreignRef,
    name: { type: "string", required: true },
    client_id: { type: "string" },
    client_secret: { type: "string" },
    hash_secret: { type: "boolean", required: true, default: false },
    redirect_uris: { type: "array", elements: { type: "string", check: checkRedirectUri } },
    tags: t.tags,
    client_type: {
      type: "string",
      required: true,
      default: "confidential",
      oneOf: ["confidential", "public"],
    },
  },
};

/** Kong's random_string(): 32 hex characters. */
export const oauth2RandomString = (): string => randomBytes(16).toString("hex");

/** client_id and client_secret Kong generates (`auto = true`) when left out. */
export function generateOAuth2Credential(v: Record<string, unknown>): void {
  if (v.client_id === null || v.client_id === undefined) v.client_id = oauth2RandomString();
  if (v.client_secret === null || v.client_secret === undefined) v.client_secret = oauth2RandomString();
}

export const oauth2_credentials: EntityDefinition<OAuth2Credential> = {
  name: "oauth2_credentials",
  schema: oauth2CredentialSchema,
  endpointKey: "client_id",
  endpointKeyUnique: true,
  unique: ["client_id"],
  foreignKeys: consumerKey,
  generate: generateOAuth2Credential,
  assemble: (e, a) => ({
    ...credentialBase(e, a),
    name: e.value.name as string,
    client_id: e.value.client_id as string,
    client_secret: e.value.client_secret as string,
    hash_secret: e.value.hash_secret as boolean,
    redirect_uris: (e.value.redirect_uris as string[] | null | undefined) ?? null,
    client_type: e.value.client_type as OAuth2ClientType,
  }),
};

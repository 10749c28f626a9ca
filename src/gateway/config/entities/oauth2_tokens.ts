/**
 * OAuth 2.0 access tokens (Kong kong/plugins/oauth2/daos.lua `oauth2_tokens`, Admin API
 * `/oauth2_tokens`): issued by the oauth2 plugin's `/oauth2/token` and `/oauth2/authorize`
 * endpoints (or written through the Admin API). The application (`credential`), the service it is
 * valid on (none with `global_credentials`), `expires_in` seconds from `created_at` (0: never),
 * the refresh token, the end user and the granted scope. Kong deletes a token (and its refresh
 * token) `ttl` seconds after it was written — `refresh_token_ttl` of the plugin that issued it.
 * Endpoint key `access_token` (unique); `refresh_token` unique too. Never exported, as Kong.
 */
import type { RecordField } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { type EntityDefinition, foreignRef } from "./entity.js";
import { KEPT_CREATED_AT } from "./oauth2_authorization_codes.js";
import { oauth2RandomString } from "./oauth2_credentials.js";

export interface OAuth2Token {
  id: string;
  /** seconds since the epoch */
  created_at: number;
  /** seconds the token (and its refresh token) is kept (Kong's row ttl); null: forever */
  ttl: number | null;
  service: string | null;
  credential: string;
  token_type: "bearer";
  expires_in: number;
  access_token: string;
  refresh_token: string | null;
  authenticated_userid: string | null;
  scope: string | null;
  /** Kong's tokens have no tags (the Admin API's tag filter finds none) */
  tags: null;
}

export const oauth2TokenSchema: RecordField = {
  type: "record",
  ignored: KEPT_CREATED_AT,
  fields: {
    id: t.uuid,
    created_at: { type: "integer" },
    ttl: { type: "integer", between: [0, 100000000] },
    service: foreignRef,
    credential: foreignRef,
    token_type: { type: "string", required: true, default: "bearer", oneOf: ["bearer"] },
    expires_in: { type: "integer", required: true },
    access_token: { type: "string" },
    refresh_token: { type: "string" },
    authenticated_userid: { type: "string" },
    scope: { type: "string" },
  },
};

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

export const oauth2_tokens: EntityDefinition<OAuth2Token> = {
  name: "oauth2_tokens",
  schema: oauth2TokenSchema,
  endpointKey: "access_token",
  endpointKeyUnique: true,
  unique: ["access_token", "refresh_token"],
  foreignKeys: {
    service: { reference: "services", required: false, onDelete: "cascade", nested: false },
    credential: { reference: "oauth2_credentials", required: true, onDelete: "cascade", nested: false },
  },
  generate: (v) => {
    if (v.created_at === null || v.created_at === undefined) v.created_at = Math.floor(Date.now() / 1000);
    if (v.access_token === null || v.access_token === undefined) v.access_token = oauth2RandomString();
  },
  assemble: (e) => ({
    id: e.value.id as string,
    created_at: e.value.created_at as number,
    ttl: typeof e.value.ttl === "number" ? e.value.ttl : null,
    service: e.ref("service"),
    credential: e.ref("credential") as string,
    token_type: "bearer",
    expires_in: e.value.expires_in as number,
    access_token: e.value.access_token as string,
    refresh_token: str(e.value.refresh_token),
    authenticated_userid: str(e.value.authenticated_userid),
    scope: str(e.value.scope),
    tags: null,
  }),
};

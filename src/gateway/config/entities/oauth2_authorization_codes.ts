/**
 * OAuth 2.0 authorization codes (Kong kong/plugins/oauth2/daos.lua `oauth2_authorization_codes`):
 * issued by `/oauth2/authorize` for `response_type=code`, exchanged once for a token at
 * `/oauth2/token`. The application (`credential`), the service it was issued for (none with
 * `global_credentials`), the plugin that issued it, the end user, the granted scope and the PKCE
 * challenge. Kong keeps a code 300 seconds (its row `ttl`); `created_at` + `ttl` is when it lapses.
 * No Admin API of its own and never exported, as Kong (`generate_admin_api`, `db_export` false);
 * found by `code` (unique).
 */
import type { RecordField } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { type EntityDefinition, foreignRef, IGNORED } from "./entity.js";
import { oauth2RandomString } from "./oauth2_credentials.js";

export interface OAuth2AuthorizationCode {
  id: string;
  /** seconds since the epoch */
  created_at: number;
  /** seconds the code lives (Kong's row ttl); null: until used */
  ttl: number | null;
  service: string | null;
  credential: string;
  code: string;
  authenticated_userid: string | null;
  scope: string | null;
  challenge: string | null;
  challenge_method: "S256" | null;
  plugin: string | null;
}

/** Entities Kong keeps with a ttl carry their own created_at (expiry is computed from it). */
export const KEPT_CREATED_AT = IGNORED.filter((f) => f !== "created_at");

export const oauth2AuthorizationCodeSchema: RecordField = {
  type: "record",
  ignored: KEPT_CREATED_AT,
  fields: {
    id: t.uuid,
    created_at: { type: "integer" },
    ttl: { type: "integer", between: [0, 100000000] },
    service: foreignRef,
    credential: foreignRef,
    code: { type: "string" },
    authenticated_userid: { type: "string" },
    scope: { type: "string" },
    challenge: { type: "string" },
    challenge_method: { type: "string", oneOf: ["S256"] },
    plugin: foreignRef,
  },
};

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

export const oauth2_authorization_codes: EntityDefinition<OAuth2AuthorizationCode> = {
  name: "oauth2_authorization_codes",
  schema: oauth2AuthorizationCodeSchema,
  endpointKey: "code",
  endpointKeyUnique: true,
  unique: ["code"],
  foreignKeys: {
    service: { reference: "services", required: false, onDelete: "cascade", nested: false },
    credential: { reference: "oauth2_credentials", required: true, onDelete: "cascade", nested: false },
    plugin: { reference: "plugins", required: false, onDelete: "cascade", nested: false },
  },
  generate: (v) => {
    if (v.created_at === null || v.created_at === undefined) v.created_at = Math.floor(Date.now() / 1000);
    if (v.code === null || v.code === undefined) v.code = oauth2RandomString();
  },
  assemble: (e) => ({
    id: e.value.id as string,
    created_at: e.value.created_at as number,
    ttl: typeof e.value.ttl === "number" ? e.value.ttl : null,
    service: e.ref("service"),
    credential: e.ref("credential") as string,
    code: e.value.code as string,
    authenticated_userid: str(e.value.authenticated_userid),
    scope: str(e.value.scope),
    challenge: str(e.value.challenge),
    challenge_method: e.value.challenge_method === "S256" ? "S256" : null,
    plugin: e.ref("plugin"),
  }),
};

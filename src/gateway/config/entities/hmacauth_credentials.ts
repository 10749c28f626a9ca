/**
 * HMAC credentials (Kong kong/plugins/hmac-auth/daos.lua): the username a consumer signs requests
 * as and the shared secret. Endpoint key `username` (unique; the secret generated when left out);
 * deleted with the consumer.
 */
import { randomBytes } from "node:crypto";
import type { RecordField } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { consumerKey, credentialBase, type EntityDefinition, foreignRef, IGNORED } from "./entity.js";

export interface HmacAuthCredential {
  id: string;
  consumer: string;
  username: string;
  secret: string;
  tags: string[] | null;
}

export const hmacauthCredentialSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    consumer: foreignRef,
    username: { type: "string", required: true },
    secret: { type: "string" },
    tags: t.tags,
  },
};

export const hmacauth_credentials: EntityDefinition<HmacAuthCredential> = {
  name: "hmacauth_credentials",
  schema: hmacauthCredentialSchema,
  endpointKey: "username",
  endpointKeyUnique: true,
  unique: ["username"],
  foreignKeys: consumerKey,
  generate: (v) => {
    if (v.secret === null || v.secret === undefined) v.secret = randomBytes(16).toString("hex");
  },
  assemble: (e, a) => ({
    ...credentialBase(e, a),
    username: e.value.username as string,
    secret: e.value.secret as string,
  }),
};

/**
 * Basic-auth credentials (Kong kong/plugins/basic-auth/daos.lua): a consumer's username and
 * password. Endpoint key `username` (unique); deleted with the consumer.
 */
import type { RecordField } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { consumerKey, credentialBase, type EntityDefinition, foreignRef, IGNORED } from "./entity.js";

export interface BasicAuthCredential {
  id: string;
  consumer: string;
  username: string;
  /** Plain text as declared (Kong hashes on insert; we compare in constant time). */
  password: string;
  tags: string[] | null;
}

export const basicauthCredentialSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    consumer: foreignRef,
    username: { type: "string", required: true },
    password: { type: "string", required: true },
    tags: t.tags,
  },
};

export const basicauth_credentials: EntityDefinition<BasicAuthCredential> = {
  name: "basicauth_credentials",
  schema: basicauthCredentialSchema,
  endpointKey: "username",
  endpointKeyUnique: true,
  unique: ["username"],
  foreignKeys: consumerKey,
  assemble: (e, a) => ({
    ...credentialBase(e, a),
    username: e.value.username as string,
    password: e.value.password as string,
  }),
};

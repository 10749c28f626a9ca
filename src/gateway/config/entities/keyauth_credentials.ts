/**
 * Key-auth credentials (Kong kong/plugins/key-auth/daos.lua): an API key of a consumer. Endpoint
 * key `key` (unique; generated when left out); deleted with the consumer.
 */
import { randomUUID } from "node:crypto";
import type { RecordField } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { consumerKey, credentialBase, type EntityDefinition, foreignRef, IGNORED } from "./entity.js";

export interface KeyAuthCredential {
  id: string;
  consumer: string;
  key: string;
  ttl: number | null;
  tags: string[] | null;
}

export const keyauthCredentialSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    consumer: foreignRef,
    key: { type: "string" },
    ttl: { type: "integer" },
    tags: t.tags,
  },
};

export const keyauth_credentials: EntityDefinition<KeyAuthCredential> = {
  name: "keyauth_credentials",
  schema: keyauthCredentialSchema,
  endpointKey: "key",
  endpointKeyUnique: true,
  unique: ["key"],
  foreignKeys: consumerKey,
  generate: (v) => {
    if (v.key === null) v.key = randomUUID().replace(/-/g, "");
  },
  assemble: (e, a) => ({
    ...credentialBase(e, a),
    key: e.value.key as string,
    ttl: (e.value.ttl as number | null) ?? null,
  }),
};

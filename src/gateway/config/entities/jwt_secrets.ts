/**
 * JWT secrets (Kong kong/plugins/jwt/daos.lua): the key (`iss` claim) and secret or public key a
 * consumer signs tokens with. Endpoint key `key` (unique; key and secret generated when left
 * out); deleted with the consumer.
 */
import { randomUUID } from "node:crypto";
import { MSG, type RecordCheck, type RecordField } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { consumerKey, credentialBase, type EntityDefinition, foreignRef, IGNORED } from "./entity.js";

export const JWT_ALGORITHMS = [
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "ES256",
  "ES384",
  "ES512",
  "PS256",
  "PS384",
  "PS512",
  "EdDSA",
] as const;

export interface JwtSecret {
  id: string;
  consumer: string;
  key: string;
  secret: string;
  algorithm: (typeof JWT_ALGORITHMS)[number];
  rsa_public_key: string | null;
  tags: string[] | null;
}

const jwtPublicKeyRequired: RecordCheck = (j) => {
  const alg = j.algorithm as string;
  if (/^(RS|ES|PS)\d+$|^EdDSA$/.test(alg) && (j.rsa_public_key === null || j.rsa_public_key === undefined)) {
    return {
      rsa_public_key: MSG.REQUIRED,
      "@entity": "failed conditional validation given value of field 'algorithm'",
    };
  }
  return null;
};

export const jwtSecretSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    consumer: foreignRef,
    key: { type: "string" },
    secret: { type: "string" },
    rsa_public_key: { type: "string" },
    algorithm: { type: "string", default: "HS256", oneOf: JWT_ALGORITHMS },
    tags: t.tags,
  },
  checks: [jwtPublicKeyRequired],
};

const randomHex = () => randomUUID().replace(/-/g, "");

export const jwt_secrets: EntityDefinition<JwtSecret> = {
  name: "jwt_secrets",
  schema: jwtSecretSchema,
  endpointKey: "key",
  endpointKeyUnique: true,
  unique: ["key"],
  foreignKeys: consumerKey,
  generate: (v) => {
    if (v.key === null) v.key = randomHex();
    if (v.secret === null) v.secret = randomHex();
  },
  assemble: (e, a) => ({
    ...credentialBase(e, a),
    key: e.value.key as string,
    secret: e.value.secret as string,
    algorithm: e.value.algorithm as JwtSecret["algorithm"],
    rsa_public_key: a.str(e.value.rsa_public_key),
  }),
};

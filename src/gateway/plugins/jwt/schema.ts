import { z } from "zod";
import { anonymousField, realmField, runOnPreflightField } from "../_shared/auth-schema.js";

export const jwtSchema = z
  .strictObject({
    uri_param_names: z
      .array(z.string().min(1))
      .default(["jwt"])
      .describe("Query string parameters inspected for a JWT."),
    cookie_names: z.array(z.string().min(1)).default([]).describe("Cookies inspected for a JWT."),
    header_names: z
      .array(z.string().min(1))
      .default(["authorization"])
      .describe("Headers inspected for a JWT, as `Bearer <token>`."),
    key_claim_name: z
      .string()
      .min(1)
      .default("iss")
      .describe(
        "The claim holding the key that identifies the credential (`jwt_secrets[].key`); read from the payload, " +
          "then from the JOSE header.",
      ),
    secret_is_base64: z
      .boolean()
      .default(false)
      .describe(
        "If `true`, the credential's `secret` is base64 encoded and decoded before verifying HS* tokens.",
      ),
    claims_to_verify: z
      .array(z.enum(["exp", "nbf"]))
      .nullable()
      .default(null)
      .describe(
        'Registered claims (RFC 7519) to verify: `exp` (401 `{"exp":"token expired"}`) and/or `nbf` ' +
          '(401 `{"nbf":"token not valid yet"}`).',
      ),
    anonymous: anonymousField,
    run_on_preflight: runOnPreflightField,
    maximum_expiration: z
      .number()
      .min(0)
      .max(31536000)
      .default(0)
      .describe(
        "Limits a token's lifetime to this many seconds in the future (0: no limit); requires `exp` in " +
          "`claims_to_verify`.",
      ),
    realm: realmField,
  })
  .superRefine((conf, ctx) => {
    if (conf.maximum_expiration > 0 && !conf.claims_to_verify?.includes("exp")) {
      ctx.addIssue({ code: "custom", path: ["claims_to_verify"], message: "expected to contain: exp" });
    }
  })
  .describe(
    "JWT authentication: verifies HS256/384/512, RS256/384/512, ES256/384/512, PS256/384/512 and EdDSA tokens " +
      "against the consumers' `jwt_secrets` (the token's `alg` must equal the credential's `algorithm`; `none` " +
      "is refused) and identifies the consumer.",
  );

export type JwtConfig = z.infer<typeof jwtSchema>;

import { z } from "zod";
import { anonymousField, realmField } from "../_shared/auth-schema.js";

/** The digests Kong's hmac-auth signs with. */
export const HMAC_ALGORITHMS = ["hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"] as const;
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];

export const hmacAuthSchema = z
  .strictObject({
    hide_credentials: z
      .boolean()
      .default(false)
      .describe(
        "If `true`, the header that carried the signature (`Authorization` or `Proxy-Authorization`) is " +
          "removed before proxying.",
      ),
    clock_skew: z
      .number()
      .gt(0)
      .default(300)
      .describe(
        "Clock skew in seconds to prevent replay attacks: the request's `X-Date` (or `Date`) must be within " +
          "this many seconds of the gateway's clock.",
      ),
    anonymous: anonymousField,
    validate_request_body: z
      .boolean()
      .default(false)
      .describe(
        "If `true`, the body must match the `Digest: SHA-256=<base64 of the body's SHA-256>` header " +
          "(a request without a body may leave it out); reading the body buffers it.",
      ),
    enforce_headers: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Headers the client must at least use for the signature (`date`, `x-date`, `request-line`, " +
          "`@request-target`, `digest`…).",
      ),
    algorithms: z
      .array(z.enum(HMAC_ALGORITHMS))
      .default([...HMAC_ALGORITHMS])
      .describe(
        "The HMAC digest algorithms accepted: `hmac-sha1`, `hmac-sha256`, `hmac-sha384` and `hmac-sha512`.",
      ),
    realm: realmField,
  })
  .describe(
    "HMAC signature authentication: the client signs chosen headers (and the request line) with a " +
      'shared secret and sends `Authorization: hmac username="…", algorithm="…", headers="…", ' +
      'signature="…"`; the gateway verifies it against `hmacauth_credentials` and identifies the consumer.',
  );

export type HmacAuthConfig = z.infer<typeof hmacAuthSchema>;

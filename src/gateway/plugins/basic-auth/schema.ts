import { z } from "zod";
import { anonymousField } from "../_shared/auth-schema.js";

export const basicAuthSchema = z
  .strictObject({
    anonymous: anonymousField,
    hide_credentials: z
      .boolean()
      .default(false)
      .describe("If `true`, the `Authorization` / `Proxy-Authorization` header is removed before proxying."),
    realm: z
      .string()
      .min(1)
      .default("service")
      .describe('The realm sent on failures: `WWW-Authenticate: Basic realm="<realm>"`.'),
  })
  .describe(
    "HTTP Basic authentication against the consumers' `basicauth_credentials` (passwords compared in constant time).",
  );

export type BasicAuthConfig = z.infer<typeof basicAuthSchema>;

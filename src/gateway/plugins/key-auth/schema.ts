import { z } from "zod";
import { anonymousField, headerName, realmField, runOnPreflightField } from "../_shared/auth-schema.js";

export const keyAuthSchema = z
  .strictObject({
    key_names: z
      .array(headerName)
      .min(1)
      .default(["apikey"])
      .describe(
        "Names of the header, query parameter or body field in which the plugin looks for an API key, " +
          "tried in order. Names may only contain [a-z], [A-Z], [0-9], [_] and [-].",
      ),
    hide_credentials: z
      .boolean()
      .default(false)
      .describe(
        "If `true`, the key is removed from the request (header, query string and body) before proxying.",
      ),
    anonymous: anonymousField,
    key_in_header: z.boolean().default(true).describe("Look for the key in the request headers."),
    key_in_query: z.boolean().default(true).describe("Look for the key in the query string."),
    key_in_body: z
      .boolean()
      .default(false)
      .describe(
        "Look for the key in the request body (`application/x-www-form-urlencoded`, `application/json` or " +
          "`multipart/form-data`); reading the body buffers it.",
      ),
    run_on_preflight: runOnPreflightField,
    realm: realmField,
  })
  .describe(
    "Key authentication: identifies the consumer from an API key sent in a header, the query string or the body.",
  );

export type KeyAuthConfig = z.infer<typeof keyAuthSchema>;

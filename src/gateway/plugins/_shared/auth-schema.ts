/** Config fields shared by the authentication plugins (same names, types and defaults as Kong). */
import { z } from "zod";
import { headerName as kongHeaderName } from "../../config/schema/typedefs.js";

export const anonymousField = z
  .string()
  .min(1)
  .nullable()
  .default(null)
  .describe(
    "An optional string (consumer id or username) to use as an anonymous consumer when authentication " +
      "fails. Unset (null): the request fails with 401. The upstream then gets `X-Anonymous-Consumer: true`.",
  );

export const runOnPreflightField = z
  .boolean()
  .default(true)
  .describe(
    "Whether the plugin runs (and tries to authenticate) on `OPTIONS` preflight requests. " +
      "If `false`, `OPTIONS` requests are always allowed.",
  );

export const realmField = z
  .string()
  .min(1)
  .nullable()
  .default(null)
  .describe(
    "When authentication fails the plugin sends a `WWW-Authenticate` header with this `realm` attribute; " +
      "unset (null) sends the scheme alone.",
  );

/** Kong's typedefs.header_name, with its check and message (naming the value): config/schema/typedefs.ts. */
export const headerName = z
  .string()
  .min(1)
  .superRefine((name, ctx) => {
    const error = kongHeaderName.check?.(name);
    if (error) ctx.addIssue({ code: "custom", message: error });
  })
  .describe("An HTTP header name.");

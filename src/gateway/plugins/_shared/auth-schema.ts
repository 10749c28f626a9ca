/** Config fields shared by the authentication plugins (same names, types and defaults as Kong). */
import { z } from "zod";

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

/** Kong's typedefs.header_name: an RFC 7230 token. */
export const headerName = z
  .string()
  .regex(
    /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/,
    "bad header name, allowed characters are A-Z, a-z, 0-9, '_', and '-'",
  )
  .describe("An HTTP header name.");

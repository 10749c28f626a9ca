/**
 * basic-auth (Kong 3.x): credentials from `Proxy-Authorization`, then `Authorization`;
 * passwords compared in constant time as Kong's salted hash (crypto.ts: a declarative password is hashed
 * when the configuration loads, database mode stores the hash); every failure is 401 "Unauthorized" with
 * `WWW-Authenticate: Basic realm="<realm>"`.
 */

import { type AuthFailure, runAuthentication, setConsumer } from "../_shared/auth-consumer.js";
import { secretsEqual } from "../_shared/constant-time.js";
import { firstHeader } from "../_shared/request-headers.js";
import type { PluginEntry, PluginEnvironment, PluginHandler, RequestContext } from "../types.js";
import { hashBasicAuthPassword } from "./crypto.js";
import type { BasicAuthConfig } from "./schema.js";

const BASIC = /\s*[Bb]asic\s*(.+)/;
const STRICT_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Kong's retrieve_credentials for one header; clears it when hide_credentials is set. */
function retrieveCredentials(
  ctx: RequestContext,
  headerName: "authorization" | "proxy-authorization",
  conf: BasicAuthConfig,
): { username: string; password: string } | null {
  const value = firstHeader(ctx.request.headers[headerName]);
  let found: { username: string; password: string } | null = null;
  const encoded = value ? BASIC.exec(value)?.[1] : undefined;
  if (encoded && STRICT_BASE64.test(encoded) && encoded.length % 4 === 0) {
    const parts = /^([^:]+):(.*)$/s.exec(Buffer.from(encoded, "base64").toString("utf8"));
    if (parts) found = { username: parts[1]!, password: parts[2]! };
  }
  if (conf.hide_credentials) delete ctx.upstream.headers[headerName];
  return found;
}

/** A fixed string to compare against when the username is unknown, so both paths cost the same. */
const NO_PASSWORD = "\u0000no-such-credential\u0000";

function authenticate(
  ctx: RequestContext,
  conf: BasicAuthConfig,
  env: PluginEnvironment,
): AuthFailure | null {
  const unauthorized: AuthFailure = {
    status: 401,
    message: "Unauthorized",
    headers: { "WWW-Authenticate": `Basic realm="${conf.realm}"` },
  };
  if (!ctx.request.headers.authorization && !ctx.request.headers["proxy-authorization"]) return unauthorized;

  let given = retrieveCredentials(ctx, "proxy-authorization", conf);
  let found = given ? env.credentials.basicAuth(given.username) : null;
  if (!found) {
    given = retrieveCredentials(ctx, "authorization", conf);
    if (!given) return unauthorized;
    found = env.credentials.basicAuth(given.username);
  }
  // Kong's salted hash compared, never the password (so a stored hash is no password either)
  const stored = found ? found.passwordHash : NO_PASSWORD;
  const presented = given?.password ?? "";
  const passwordOk = secretsEqual(stored, hashBasicAuthPassword(found ? found.consumer.id : "", presented));
  if (!found || !passwordOk) return unauthorized;

  const { credential, consumer } = found;
  setConsumer(ctx, consumer, { id: credential.id, consumer: consumer.id, identifier: credential.username });
  return null;
}

export function createBasicAuthHandler(
  entry: PluginEntry<BasicAuthConfig>,
  env: PluginEnvironment,
): PluginHandler {
  const conf = entry.config;
  return {
    access: (ctx) => runAuthentication(ctx, conf, env, () => authenticate(ctx, conf, env)),
  };
}

/**
 * jwt (Kong 3.x): reads one token from the configured query parameters, cookies and
 * headers, finds the credential named by `key_claim_name`, insists that the token's
 * `alg` equals the credential's algorithm (no `none`, no RS→HS confusion: HS* verify
 * with the secret only, RS* and ES* with the public key only), verifies the signature with
 * jose, then the registered claims.
 */
import { createPublicKey, createSecretKey, type KeyObject } from "node:crypto";

import type { JwtSecret } from "../../config/types.js";
import { type AuthFailure, challenge, runAuthentication, setConsumer } from "../_shared/auth-consumer.js";
import { firstHeader, headerValue } from "../_shared/request-headers.js";
import type { PluginEntry, PluginEnvironment, PluginHandler, RequestContext } from "../types.js";
import type { JwtConfig } from "./schema.js";
import { decodeBase64, decodeToken, exceedsMaximumExpiration, verifyRegisteredClaims } from "./token.js";

function cookies(header: string | string[] | undefined): Map<string, string> {
  const jar = new Map<string, string>();
  for (const line of Array.isArray(header) ? header : header ? [header] : []) {
    for (const pair of line.split(";")) {
      const eq = pair.indexOf("=");
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      if (!jar.has(name)) jar.set(name, pair.slice(eq + 1).trim());
    }
  }
  return jar;
}

const BEARER = /\s*[Bb]earer\s+(.+)/;

/** Kong's retrieve_tokens: every distinct non-empty token found. */
function retrieveTokens(ctx: RequestContext, conf: JwtConfig): string[] {
  const tokens = new Set<string>();
  for (const name of conf.uri_param_names) {
    for (const value of ctx.request.query.getAll(name)) if (value !== "") tokens.add(value);
  }
  if (conf.cookie_names.length > 0) {
    const jar = cookies(ctx.request.headers.cookie);
    for (const name of conf.cookie_names) {
      const value = jar.get(name);
      if (value) tokens.add(value);
    }
  }
  for (const name of conf.header_names) {
    const value = firstHeader(headerValue(ctx.request.headers, name));
    const m = value ? BEARER.exec(value) : null;
    if (m?.[1]) tokens.add(m[1]);
  }
  return [...tokens];
}

const verificationKeys = new WeakMap<JwtSecret, Map<string, KeyObject | null>>();

/** The key a credential verifies with: its secret for HS*, its public key otherwise (cached). */
function verificationKey(secret: JwtSecret, base64Secret: boolean): KeyObject | null | "invalid" {
  let byMode = verificationKeys.get(secret);
  if (!byMode) {
    byMode = new Map();
    verificationKeys.set(secret, byMode);
  }
  const mode = base64Secret ? "b64" : "raw";
  if (byMode.has(mode)) return byMode.get(mode) ?? "invalid";
  let key: KeyObject | null;
  if (secret.algorithm.startsWith("HS")) {
    const bytes = base64Secret ? decodeBase64(secret.secret) : Buffer.from(secret.secret, "utf8");
    key = bytes && bytes.length > 0 ? createSecretKey(bytes) : null;
  } else {
    try {
      key = secret.rsa_public_key ? createPublicKey(secret.rsa_public_key) : null;
    } catch {
      byMode.set(mode, null);
      return "invalid";
    }
  }
  byMode.set(mode, key);
  return key;
}

let jose: Promise<typeof import("jose")> | null = null;

/** jose, imported once a jwt entry exists (it is not loaded in gateways without one). */
function loadJose(): Promise<typeof import("jose")> {
  if (jose === null) jose = import("jose");
  return jose;
}

async function signatureValid(token: string, key: KeyObject, algorithm: string): Promise<boolean> {
  try {
    const { compactVerify } = await loadJose();
    await compactVerify(token, key, { algorithms: [algorithm] });
    return true;
  } catch {
    return false;
  }
}

async function authenticate(
  ctx: RequestContext,
  conf: JwtConfig,
  env: PluginEnvironment,
): Promise<AuthFailure | null> {
  const base = challenge("Bearer", conf.realm);
  const invalid = { "WWW-Authenticate": `${base}${conf.realm ? "," : ""} error="invalid_token"` };
  // Kong's jwt answers with kong.response.exit(status, { message }): the body is exactly
  // {"message": …}, without the request_id of kong.response.error
  const fail = (message: string, headers = invalid): AuthFailure => ({
    status: 401,
    body: { message },
    headers,
  });

  const tokens = retrieveTokens(ctx, conf);
  if (tokens.length === 0) return fail("Unauthorized", { "WWW-Authenticate": base });
  if (tokens.length > 1) return fail("Multiple tokens provided");
  const token = tokens[0]!;

  const decoded = decodeToken(token);
  if ("error" in decoded) return fail(`Bad token; ${decoded.error}`);
  const { header, claims } = decoded.token;

  const claimName = conf.key_claim_name;
  const keyValue = claims[claimName] ?? header[claimName];
  if (keyValue === undefined || keyValue === null || keyValue === false) {
    return fail(`No mandatory '${claimName}' in claims`);
  }
  if (keyValue === "") return fail(`Invalid '${claimName}' in claims`);
  const found = env.credentials.jwt(String(keyValue));
  if (!found) return fail(`No credentials found for given '${claimName}'`);
  const { credential, consumer } = found;

  if (header.alg !== credential.algorithm) return fail("Invalid algorithm");
  const key = verificationKey(credential, conf.secret_is_base64);
  if (key === "invalid") {
    env.logger.error("jwt: the credential's rsa_public_key cannot be parsed", { credential: credential.id });
    return { status: 500, message: "An unexpected error occurred" };
  }
  if (!key) return fail("Invalid key/secret");
  if (!(await signatureValid(token, key, credential.algorithm))) return fail("Invalid signature");

  const now = Date.now() / 1000;
  const claimErrors = verifyRegisteredClaims(claims, conf.claims_to_verify ?? [], now);
  if (claimErrors) return { status: 401, body: claimErrors, headers: invalid };
  if (exceedsMaximumExpiration(claims, conf.maximum_expiration, now)) {
    return { status: 401, body: { exp: "exceeds maximum allowed expiration" }, headers: invalid };
  }

  setConsumer(ctx, consumer, { id: credential.id, consumer: consumer.id, identifier: credential.key });
  ctx.shared.set("authenticated_jwt_token", token);
  return null;
}

export async function createJwtHandler(
  entry: PluginEntry<JwtConfig>,
  env: PluginEnvironment,
): Promise<PluginHandler> {
  const conf = entry.config;
  await loadJose();
  return {
    access: (ctx) => runAuthentication(ctx, conf, env, () => authenticate(ctx, conf, env)),
  };
}

/**
 * The provider endpoints of Kong's oauth2 (kong/plugins/oauth2/access.lua `authorize` and
 * `issue_token`): `/oauth2/authorize` issues an authorization code (or, implicit grant, a token in
 * the redirect's fragment) to a logged-in end user's application; `/oauth2/token` exchanges a code
 * (with its PKCE verifier), client credentials, a resource owner's password grant or a refresh
 * token for an access token. Every check runs in Kong's order, a later failure replacing an
 * earlier one, and answers with Kong's `{ error, error_description }` bodies and statuses. Tokens
 * and codes are stored through the gateway's database (env.entities), one transaction each, served
 * by every replica in place (database-mode.ts: no new configuration generation per token).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { oauth2RandomString } from "../../config/entities/oauth2_credentials.js";
import type { OAuth2AuthorizationCode, OAuth2Credential, OAuth2Token } from "../../config/types.js";
import type { PluginEntityOp, PluginEntry, PluginEnvironment, RequestContext } from "../types.js";
import {
  checkHttps,
  NO_STORE,
  type OAuthBody,
  type Params,
  redirectWith,
  retrieveParameters,
  retrieveScope,
  str,
  strip,
} from "./params.js";
import type { OAuth2Config } from "./schema.js";
import { isHashedSecret, verifyClientSecret } from "./secret.js";

const nowSeconds = () => Date.now() / 1000;

/** A stored token or code whose row ttl ran out is gone, as Kong's database drops it. */
export function alive(e: { created_at: number; ttl: number | null }): boolean {
  return e.ttl === null || e.ttl === 0 || nowSeconds() < e.created_at + e.ttl;
}

export interface FlowDeps {
  entry: PluginEntry<OAuth2Config>;
  env: PluginEnvironment;
}

const err = (error: string, description: string): OAuthBody => ({ error, error_description: description });
const INVALID_CLIENT = () => err("invalid_client", "Invalid client authentication");
const REDIRECT_MISMATCH = () =>
  err(
    "invalid_request",
    "Invalid redirect_uri that does not match with any redirect_uri created with the application",
  );

class WriteFailed extends Error {}

/**
 * The application's tokens and codes whose ttl ran out, deleted in the next write for it (Kong's
 * database drops such rows itself; here database mode also sweeps them every minute).
 */
function expiredOf(deps: FlowDeps, credentialId: string): PluginEntityOp[] {
  const { config } = deps.env;
  const ops: PluginEntityOp[] = [];
  for (const t of config.oauth2_tokens)
    if (t.credential === credentialId && !alive(t))
      ops.push({ op: "delete", kind: "oauth2_tokens", id: t.id });
  for (const c of config.oauth2_authorization_codes)
    if (c.credential === credentialId && !alive(c))
      ops.push({ op: "delete", kind: "oauth2_authorization_codes", id: c.id });
  return ops;
}

async function store(deps: FlowDeps, ops: PluginEntityOp[]): Promise<void> {
  const writer = deps.env.entities;
  if (writer === undefined)
    throw new WriteFailed("cannot create 'oauth2_tokens' entities when not using a database");
  const r = await writer.write(ops);
  if (!r.ok) throw new WriteFailed(r.reason);
}

/** Kong's generate_token: a new token (or, reusing a refresh token, the same one renewed). */
async function generateToken(
  deps: FlowDeps,
  ctx: RequestContext,
  client: OAuth2Credential,
  userid: string | undefined | null,
  scope: string | undefined | null,
  state: unknown,
  disableRefresh: boolean,
  existing?: OAuth2Token,
  alsoOps: PluginEntityOp[] = [],
): Promise<OAuthBody> {
  const conf = deps.entry.config;
  const expiration = conf.token_expiration;
  const refreshTtl = conf.refresh_token_ttl > 0 ? conf.refresh_token_ttl : null;
  const ttl = expiration > 0 ? refreshTtl : null;
  const serviceId = conf.global_credentials ? null : (ctx.service?.id ?? null);
  const accessToken = oauth2RandomString();
  const createdAt = Math.floor(nowSeconds());
  let refreshToken: string | undefined;
  const ops: PluginEntityOp[] = [];
  if (existing !== undefined && conf.reuse_refresh_token) {
    refreshToken = existing.refresh_token ?? undefined;
    ops.push({
      op: "replace",
      kind: "oauth2_tokens",
      id: existing.id,
      record: {
        ...tokenRecord(existing),
        access_token: accessToken,
        expires_in: expiration,
        created_at: createdAt,
        ttl,
      },
    });
  } else {
    if (!disableRefresh && expiration > 0) refreshToken = oauth2RandomString();
    ops.push({
      op: "insert",
      kind: "oauth2_tokens",
      record: {
        service: serviceId === null ? null : { id: serviceId },
        credential: { id: client.id },
        authenticated_userid: userid ?? null,
        expires_in: expiration,
        refresh_token: refreshToken ?? null,
        scope: scope ?? null,
        access_token: accessToken,
        created_at: createdAt,
        ttl,
      },
    });
  }
  const taken = new Set([...ops, ...alsoOps].map((o) => (o.op === "insert" ? "" : o.id)));
  const cleanup = expiredOf(deps, client.id).filter((o) => o.op === "insert" || !taken.has(o.id));
  await store(deps, [...ops, ...alsoOps, ...cleanup]);
  return {
    access_token: accessToken,
    token_type: "bearer",
    expires_in: expiration > 0 ? expiration : undefined,
    refresh_token: refreshToken,
    state: str(state),
  };
}

function tokenRecord(t: OAuth2Token): Record<string, unknown> {
  return {
    service: t.service === null ? null : { id: t.service },
    credential: { id: t.credential },
    token_type: t.token_type,
    expires_in: t.expires_in,
    access_token: t.access_token,
    refresh_token: t.refresh_token,
    authenticated_userid: t.authenticated_userid,
    scope: t.scope,
    created_at: t.created_at,
    ttl: t.ttl,
  };
}

const BASE64URL = (b: Buffer) =>
  b.toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Kong's retrieve_code_challenge: the challenge (normalized base64url) and its method (S256 only). */
function codeChallenge(
  params: Params,
): { challenge: string | undefined; method: string | undefined } | { error: string } {
  let challenge = str(params.code_challenge);
  const method = params.code_challenge_method;
  if (method !== undefined && challenge === undefined)
    return { error: "code_challenge is required when code_method is present" };
  if (challenge !== undefined) {
    if (/^[A-Za-z0-9+/_-]*={0,2}$/.test(challenge)) {
      const decoded = Buffer.from(challenge.replace(/-/g, "+").replace(/_/g, "/"), "base64");
      if (decoded.length > 0) challenge = BASE64URL(decoded);
    }
    if (method !== undefined && method !== "S256" && method !== "s256")
      return { error: "code_challenge_method is not supported, must be S256" };
  }
  return { challenge, method: "S256" };
}

function requiresPkce(conf: OAuth2Config, client: OAuth2Credential | null, usedPkce?: boolean): boolean {
  if (client === null) return false;
  return (
    usedPkce === true ||
    (client.client_type === "public" && conf.pkce !== "none") ||
    (client.client_type === "confidential" && conf.pkce === "strict")
  );
}

function answer(ctx: RequestContext, status: number, body: object, extra: Record<string, string> = {}): void {
  ctx.exit(status, body, { headers: { ...NO_STORE, ...extra } });
}

function clientOf(deps: FlowDeps, clientId: unknown): OAuth2Credential | null {
  if (typeof clientId !== "string" || clientId === "") return null;
  return deps.env.credentials.oauth2Client(clientId)?.credential ?? null;
}

/** `/oauth2/authorize` (POST): a code or an implicit-grant token for the end user's application. */
export async function authorize(ctx: RequestContext, deps: FlowDeps): Promise<void> {
  const conf = deps.entry.config;
  const params = await retrieveParameters(ctx);
  const state = params.state;
  let response: OAuthBody = {};
  let redirectUri: string | undefined;
  let implicit = false;
  const https = checkHttps(ctx, conf);
  if (!https.ok) {
    response = err("access_denied", https.err ?? "You must use HTTPS");
  } else if (conf.provision_key !== params.provision_key) {
    response = err("invalid_provision_key", "Invalid provision_key");
  } else if (strip(params.authenticated_userid) === "") {
    response = err("invalid_authenticated_userid", "Missing authenticated_userid parameter");
  } else {
    const responseType = params.response_type;
    if (
      !(
        (responseType === "code" && conf.enable_authorization_code) ||
        (conf.enable_implicit_grant && responseType === "token")
      )
    )
      response = err("unsupported_response_type", "Invalid response_type");
    const scope = retrieveScope(params, conf);
    if ("error" in scope) response = scope.error;
    const client = clientOf(deps, params.client_id);
    const allowed = client?.redirect_uris ?? null;
    if (allowed === null) {
      response = INVALID_CLIENT();
    } else {
      redirectUri = str(params.redirect_uri) ?? allowed[0];
      if (redirectUri === undefined || !allowed.includes(redirectUri)) {
        response = REDIRECT_MISMATCH();
        redirectUri = allowed[0];
      }
    }
    const pkce = codeChallenge(params);
    let challengeMethod: string | undefined;
    if ("error" in pkce) response = err("invalid_request", pkce.error);
    else if (client !== null && pkce.challenge === undefined && requiresPkce(conf, client))
      response = err("invalid_request", `code_challenge is required for ${client.client_type} clients`);
    else if (pkce.challenge !== undefined) challengeMethod = pkce.method;
    if (response.error === undefined && client !== null) {
      const userid = str(params.authenticated_userid) ?? null;
      const grantedScope = "scope" in scope ? scope.scope : undefined;
      if (responseType === "code") {
        const code = oauth2RandomString();
        const serviceId = conf.global_credentials ? null : (ctx.service?.id ?? null);
        await store(deps, [
          {
            op: "insert",
            kind: "oauth2_authorization_codes",
            record: {
              service: serviceId === null ? null : { id: serviceId },
              credential: { id: client.id },
              authenticated_userid: userid,
              scope: grantedScope ?? null,
              challenge: "error" in pkce || challengeMethod === undefined ? null : (pkce.challenge ?? null),
              challenge_method: challengeMethod ?? null,
              plugin: { id: deps.entry.id },
              code,
              created_at: Math.floor(nowSeconds()),
              ttl: 300,
            },
          },
          ...expiredOf(deps, client.id),
        ]);
        response = { code };
      } else {
        response = await generateToken(deps, ctx, client, userid, grantedScope, state, true);
        implicit = true;
      }
    }
  }
  response.state = str(state);
  const status = response.error !== undefined ? 400 : 200;
  if (redirectUri !== undefined)
    answer(ctx, status, { redirect_uri: redirectWith(redirectUri, response, implicit) });
  else answer(ctx, status, definedOnly(response));
}

function definedOnly(body: OAuthBody): OAuthBody {
  const out: OAuthBody = {};
  for (const [k, v] of Object.entries(body)) if (v !== undefined) out[k] = v;
  return out;
}

/** Kong's retrieve_client_credentials: the body's client_id/secret, else `Basic` in the auth header. */
function clientCredentials(
  ctx: RequestContext,
  params: Params,
  conf: OAuth2Config,
): { id: unknown; secret: unknown; fromHeader: boolean } {
  const header = ctx.request.headersDistinct[conf.auth_header_name.toLowerCase()]?.[0];
  if (params.client_id !== undefined && params.client_secret !== undefined)
    return { id: params.client_id, secret: params.client_secret, fromHeader: false };
  if (header !== undefined) {
    const m = /\s*[Bb]asic\s*(.+)/.exec(header);
    if (m?.[1] !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(m[1].trim())) {
      const decoded = Buffer.from(m[1].trim(), "base64").toString("utf8");
      const i = decoded.indexOf(":");
      return i < 0
        ? { id: decoded, secret: undefined, fromHeader: true }
        : { id: decoded.slice(0, i), secret: decoded.slice(i + 1), fromHeader: true };
    }
    return { id: undefined, secret: undefined, fromHeader: true };
  }
  return { id: params.client_id, secret: undefined, fromHeader: false };
}

function secretMatches(client: OAuth2Credential, secret: unknown): boolean {
  if (typeof secret !== "string") return false;
  // hash_secret with a secret not stored hashed: one from a vault reference, compared in clear
  if (client.hash_secret && isHashedSecret(client.client_secret))
    return verifyClientSecret(secret, client.client_secret);
  const a = Buffer.from(client.client_secret);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Kong's validate_pkce_verifier. */
function pkceFailure(params: Params, code: OAuth2AuthorizationCode): OAuthBody | null {
  const verifier = params.code_verifier;
  if (verifier === undefined)
    return err("invalid_request", "code_verifier is required for PKCE authorization requests");
  if (typeof verifier !== "string") return err("invalid_request", "code_verifier is not a string");
  if (verifier.length < 43 || verifier.length > 128)
    return err("invalid_request", "code_verifier must be between 43 and 128 characters");
  const challenge = BASE64URL(createHash("sha256").update(verifier).digest());
  if (code.challenge === null || challenge !== code.challenge) return err("invalid_grant", "Invalid code");
  return null;
}

/** `/oauth2/token` (POST). */
export async function issueToken(ctx: RequestContext, deps: FlowDeps): Promise<void> {
  const conf = deps.entry.config;
  const params = await retrieveParameters(ctx);
  const state = params.state;
  let response: OAuthBody = {};
  let unauthorized = false;
  const https = checkHttps(ctx, conf);
  if (!https.ok) {
    response = err("access_denied", https.err ?? "You must use HTTPS");
  } else {
    const grant = params.grant_type;
    if (
      !(
        grant === "authorization_code" ||
        grant === "refresh_token" ||
        (conf.enable_client_credentials && grant === "client_credentials") ||
        (conf.enable_password_grant && grant === "password")
      )
    )
      response = err("unsupported_grant_type", "Invalid grant_type");
    const creds = clientCredentials(ctx, params, conf);
    const client = clientOf(deps, creds.id);
    if (grant !== "client_credentials") {
      const allowed = client?.redirect_uris ?? null;
      if (allowed !== null) {
        const uri = str(params.redirect_uri) ?? allowed[0];
        if (uri === undefined || !allowed.includes(uri)) response = REDIRECT_MISMATCH();
      } else {
        response = INVALID_CLIENT();
        unauthorized = creds.fromHeader;
      }
    }
    if (client !== null) {
      if (client.client_type === "confidential") {
        if (!secretMatches(client, creds.secret)) {
          response = INVALID_CLIENT();
          unauthorized = creds.fromHeader;
        }
      } else if (strip(creds.secret) !== "") {
        response = err("invalid_request", "client_secret is disallowed for public clients");
      }
    }
    if (response.error === undefined) response = await grantFor(ctx, deps, params, grant, client, state);
  }
  response.state = str(state);
  const failed = response.error !== undefined;
  answer(
    ctx,
    failed && unauthorized ? 401 : failed ? 400 : 200,
    definedOnly(response),
    failed && unauthorized ? { "www-authenticate": 'Basic realm="OAuth2.0"' } : {},
  );
}

async function grantFor(
  ctx: RequestContext,
  deps: FlowDeps,
  params: Params,
  grant: unknown,
  client: OAuth2Credential | null,
  state: unknown,
): Promise<OAuthBody> {
  const conf = deps.entry.config;
  const serviceId = conf.global_credentials ? null : (ctx.service?.id ?? null);
  if (grant === "authorization_code") {
    const codeParam = str(params.code);
    const found = codeParam === undefined ? null : deps.env.credentials.oauth2Code(codeParam);
    const code = found !== null && alive(found) ? found : null;
    if (code === null || (serviceId !== null && serviceId !== code.service) || code.credential !== client?.id)
      return err("invalid_request", "Invalid code");
    if (requiresPkce(conf, client, code.challenge_method !== null)) {
      const failure = pkceFailure(params, code);
      if (failure !== null) return failure;
    }
    if (conf.global_credentials && code.plugin !== null && code.plugin !== deps.entry.id)
      return err("invalid_request", "Invalid code");
    // the code is used once: deleted in the token's transaction (a second use at once fails)
    try {
      return await generateToken(
        deps,
        ctx,
        client,
        code.authenticated_userid,
        code.scope,
        state,
        false,
        undefined,
        [{ op: "delete", kind: "oauth2_authorization_codes", id: code.id, mustExist: true }],
      );
    } catch (e) {
      if (e instanceof WriteFailed && /Not found/.test(e.message))
        return err("invalid_request", "Invalid code");
      throw e;
    }
  }
  if (grant === "client_credentials") {
    if (params.authenticated_userid !== undefined && conf.provision_key !== params.provision_key)
      return err("invalid_provision_key", "Invalid provision_key");
    if (client === null) return INVALID_CLIENT();
    const scope = retrieveScope(params, conf);
    if ("error" in scope) return scope.error;
    return generateToken(deps, ctx, client, str(params.authenticated_userid), scope.scope, state, true);
  }
  if (grant === "password") {
    if (conf.provision_key !== params.provision_key)
      return err("invalid_provision_key", "Invalid provision_key");
    if (strip(params.authenticated_userid) === "")
      return err("invalid_authenticated_userid", "Missing authenticated_userid parameter");
    const scope = retrieveScope(params, conf);
    if ("error" in scope) return scope.error;
    return generateToken(deps, ctx, client!, str(params.authenticated_userid), scope.scope, state, false);
  }
  // refresh_token
  const refresh = str(params.refresh_token);
  const found = refresh === undefined ? null : deps.env.credentials.oauth2RefreshToken(refresh);
  const token = found !== null && alive(found) ? found : null;
  if (token === null || (serviceId !== null && serviceId !== token.service))
    return err("invalid_request", "Invalid refresh_token");
  if (token.credential !== client?.id) return INVALID_CLIENT();
  for (const s of (token.scope ?? "").split(/\s+/).filter((x) => x !== "")) {
    if (conf.scopes === null || !conf.scopes.includes(s)) return err("invalid_scope", "Scope mismatch");
  }
  const deleteOld: PluginEntityOp[] = conf.reuse_refresh_token
    ? []
    : [{ op: "delete", kind: "oauth2_tokens", id: token.id, mustExist: true }];
  try {
    return await generateToken(
      deps,
      ctx,
      client,
      token.authenticated_userid,
      token.scope,
      state,
      false,
      token,
      deleteOld,
    );
  } catch (e) {
    if (e instanceof WriteFailed && /Not found/.test(e.message))
      return err("invalid_request", "Invalid refresh_token");
    throw e;
  }
}

export { WriteFailed };

/**
 * hmac-auth (Kong 3.x kong/plugins/hmac-auth/access.lua): the client signs a list of headers —
 * and, as pseudo-headers, `request-line` (`GET /path?query HTTP/1.1`) or `@request-target`
 * (`get /path?query`), both over the request URI as received — with a consumer's shared secret,
 * and sends `hmac username="…", algorithm="…", headers="…", signature="…"` in `Proxy-Authorization`
 * (read first) or `Authorization`. The request's `X-Date` or `Date` must lie within `clock_skew`;
 * with `validate_request_body` the body must match its `Digest: SHA-256=…`. Signatures are
 * compared in constant time. Every failure is a 401 with `WWW-Authenticate: hmac[ realm="…"]`
 * and Kong's message; the secret is never logged.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { GatewayConsumer, HmacAuthCredential } from "../../config/types.js";
import { type AuthFailure, challenge, runAuthentication, setConsumer } from "../_shared/auth-consumer.js";
import { headerKeys } from "../_shared/request-headers.js";
import type { PluginEntry, PluginEnvironment, PluginHandler, RequestContext } from "../types.js";
import { parseHttpDate } from "./http-date.js";
import type { HmacAlgorithm, HmacAuthConfig } from "./schema.js";

export const SIGNATURE_NOT_VALID = "HMAC signature cannot be verified";
export const SIGNATURE_NOT_SAME = "HMAC signature does not match";
export const DATE_REQUIRED =
  "HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication";

/** Kong's pattern (ngx.re, unanchored, greedy: the same in JavaScript). */
const HMAC_FIELDS = /\s*[Hh]mac\s*username="(.+)",\s*algorithm="(.+)",\s*headers="(.+)",\s*signature="(.+)"/;

const DIGESTS: Readonly<Record<HmacAlgorithm, string>> = {
  "hmac-sha1": "sha1",
  "hmac-sha256": "sha256",
  "hmac-sha384": "sha384",
  "hmac-sha512": "sha512",
};

interface Found {
  credential: HmacAuthCredential;
  consumer: GatewayConsumer;
}

interface HmacParams {
  username: string;
  algorithm: string;
  headers: string[];
  signature: string;
}

/**
 * A request header as Kong's kong.request.get_header gives it: the first line of it, the name
 * case-insensitive with `_` read as `-`.
 */
function requestHeader(ctx: RequestContext, name: string): string | undefined {
  for (const key of headerKeys(name)) {
    const lines = ctx.request.headersDistinct[key];
    if (lines !== undefined && lines.length > 0) return lines[0];
  }
  return undefined;
}

function clearUpstreamHeader(ctx: RequestContext, name: string): void {
  if (ctx.upstream.headers[name] !== undefined) delete ctx.upstream.headers[name];
}

/** Kong's retrieve_hmac_fields: the four fields of one header, or null when it holds none. */
function hmacFields(value: string | undefined): HmacParams | null {
  if (value === undefined) return null;
  const m = HMAC_FIELDS.exec(value);
  if (m === null) return null;
  return { username: m[1]!, algorithm: m[2]!, headers: m[3]!.split(" "), signature: m[4]! };
}

/** Kong's validate_clock_skew for one date header. */
function withinSkew(ctx: RequestContext, header: string, skew: number): boolean {
  const date = requestHeader(ctx, header);
  if (date === undefined) return false;
  const at = parseHttpDate(date);
  if (at === null) return false;
  return Math.abs(Math.floor(Date.now() / 1000) - at) <= skew;
}

/** Kong's validate_params: what makes the fields unusable (logged by Kong at debug level only). */
function paramsUsable(params: HmacParams | null, conf: HmacAuthConfig): params is HmacParams {
  if (params === null || params.username === "" || params.signature === "") return false;
  for (const enforced of conf.enforce_headers) if (!params.headers.includes(enforced)) return false;
  return (conf.algorithms as readonly string[]).includes(params.algorithm);
}

/** The request URI as received (Kong's get_path_with_query, nginx's $request_uri). */
function requestUri(ctx: RequestContext): string {
  const { path, rawQuery } = ctx.request;
  return rawQuery === "" ? path : `${path}?${rawQuery}`;
}

/** Kong's create_hash: the signing string of the listed headers, as the bytes the client sent. */
function signingString(ctx: RequestContext, headers: readonly string[]): string {
  const lines: string[] = [];
  for (const header of headers) {
    const value = requestHeader(ctx, header);
    if (value !== undefined) lines.push(`${header}: ${value}`);
    else if (header === "@request-target")
      lines.push(`${header}: ${ctx.request.method.toLowerCase()} ${requestUri(ctx)}`);
    else if (header === "request-line")
      lines.push(`${ctx.request.method} ${requestUri(ctx)} HTTP/${ctx.request.httpVersion}`);
    else lines.push(`${header}:`);
  }
  return lines.join("\n");
}

/** ngx.decode_base64: the standard alphabet, padding optional; null when it is no base64. */
function decodeBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) return null;
  return Buffer.from(text, "base64");
}

function signatureMatches(ctx: RequestContext, params: HmacParams, credential: HmacAuthCredential): boolean {
  const digest = DIGESTS[params.algorithm as HmacAlgorithm];
  // header values reach Node as latin1 text: encoded back to the bytes the client signed
  const expected = createHmac(digest, Buffer.from(credential.secret, "utf8"))
    .update(Buffer.from(signingString(ctx, params.headers), "latin1"))
    .digest();
  const given = decodeBase64(params.signature);
  // an HMAC's length is no secret: only equal lengths are compared, in constant time
  return given !== null && given.length === expected.length && timingSafeEqual(given, expected);
}

/** Kong's validate_body: the body's SHA-256 against `Digest`; no digest passes only an empty body. */
async function bodyMatches(ctx: RequestContext): Promise<boolean> {
  let body: Buffer;
  try {
    body = await ctx.request.readBody();
  } catch {
    return false;
  }
  const received = requestHeader(ctx, "digest");
  if (received === undefined) return body.length === 0;
  const created = `SHA-256=${createHash("sha256").update(body).digest("base64")}`;
  const a = Buffer.from(created);
  const b = Buffer.from(received, "latin1");
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createHmacAuthHandler(
  entry: PluginEntry<HmacAuthConfig>,
  env: PluginEnvironment,
): PluginHandler {
  const conf = entry.config;
  const headers = { "WWW-Authenticate": challenge("hmac", conf.realm) };
  const unauthorized = (message: string): AuthFailure => ({ status: 401, message, headers });

  /** Kong's do_authentication up to the signature; the body check (async) follows it. */
  const verify = (ctx: RequestContext): AuthFailure | Found => {
    const authorization = requestHeader(ctx, "authorization");
    const proxyAuthorization = requestHeader(ctx, "proxy-authorization");
    if (authorization === undefined && proxyAuthorization === undefined) return unauthorized("Unauthorized");
    if (!withinSkew(ctx, "x-date", conf.clock_skew) && !withinSkew(ctx, "date", conf.clock_skew))
      return unauthorized(DATE_REQUIRED);
    let params = hmacFields(proxyAuthorization);
    if (params === null) {
      params = hmacFields(authorization);
      if (conf.hide_credentials) clearUpstreamHeader(ctx, "authorization");
    } else if (conf.hide_credentials) clearUpstreamHeader(ctx, "proxy-authorization");
    if (!paramsUsable(params, conf)) return unauthorized(SIGNATURE_NOT_VALID);
    const found = env.credentials.hmacAuth(params.username);
    if (found === null) return unauthorized(SIGNATURE_NOT_VALID);
    if (!signatureMatches(ctx, params, found.credential)) return unauthorized(SIGNATURE_NOT_SAME);
    return found;
  };

  const authenticated = (ctx: RequestContext, found: Found): null => {
    setConsumer(ctx, found.consumer, {
      id: found.credential.id,
      consumer: found.consumer.id,
      identifier: found.credential.username,
    });
    return null;
  };

  return {
    access: (ctx) =>
      runAuthentication(ctx, conf, env, () => {
        const result = verify(ctx);
        if ("status" in result) return result;
        if (!conf.validate_request_body) return authenticated(ctx, result);
        return bodyMatches(ctx).then((ok) =>
          ok ? authenticated(ctx, result) : unauthorized(SIGNATURE_NOT_SAME),
        );
      }),
  };
}

/**
 * What the oauth2 endpoints read of a request and how they answer, as Kong's oauth2 access.lua:
 * the parameters (the query merged with the body of a POST/PUT/PATCH, the body winning), the HTTPS
 * check (`check_https`), the scope check, the `WWW-Authenticate` challenge, and the redirect URI with
 * the answer's parameters appended (Kong's `encode_args`: keys sorted, values percent-encoded).
 */
import { bodyField, parseBody } from "../_shared/request-body.js";
import type { RequestContext } from "../types.js";
import type { OAuth2Config } from "./schema.js";

export type Params = Record<string, unknown>;

/** Kong's `{ error, error_description }` answers (and the success bodies) as plain records. */
export type OAuthBody = Record<string, string | number | undefined>;

export const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" } as const;

function queryParams(query: URLSearchParams): Params {
  const out: Params = {};
  for (const key of new Set(query.keys())) {
    const all = query.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

/** Kong's retrieve_parameters: query arguments, merged with the body's for POST, PUT and PATCH. */
export async function retrieveParameters(ctx: RequestContext): Promise<Params> {
  const params = queryParams(ctx.request.query);
  const method = ctx.request.method;
  if (method !== "POST" && method !== "PUT" && method !== "PATCH") return params;
  const contentType = ctx.request.headers["content-type"];
  const type = Array.isArray(contentType) ? contentType[0] : contentType;
  const body = parseBody(type, await ctx.request.readBody());
  if (body === null) return params;
  const names =
    body.kind === "json"
      ? Object.keys(body.value)
      : body.kind === "form"
        ? [...new Set(body.params.keys())]
        : [...new Set(body.parts.filter((p) => !p.isFile).map((p) => p.name))];
  for (const name of names) params[name] = bodyField(body, name);
  return params;
}

export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Kong's strip(): "" for nil. */
export const strip = (v: unknown): string => (typeof v === "string" ? v.trim() : "");

/**
 * Kong's check_https: a TLS connection, or — with accept_http_if_already_terminated — a trusted
 * peer saying `X-Forwarded-Proto: https` (exactly one such header).
 */
export function checkHttps(ctx: RequestContext, conf: OAuth2Config): { ok: boolean; err?: string } {
  const peer = ctx.peer ?? { scheme: ctx.protocol, trusted: false };
  if (peer.scheme === "https") return { ok: true };
  if (!conf.accept_http_if_already_terminated || !peer.trusted) return { ok: false };
  const proto = ctx.request.headersDistinct["x-forwarded-proto"] ?? [];
  if (proto.length > 1) return { ok: false, err: "Only one X-Forwarded-Proto header allowed" };
  return { ok: (proto[0] ?? "").toLowerCase() === "https" };
}

/** Kong's retrieve_scope: the requested scopes, each one of `conf.scopes`. */
export function retrieveScope(
  params: Params,
  conf: OAuth2Config,
): { scope: string | undefined } | { error: OAuthBody } {
  const scope = params.scope;
  const scopes: string[] = [];
  if (conf.scopes !== null && scope !== undefined) {
    if (typeof scope !== "string")
      return { error: { error: "invalid_scope", error_description: "scope must be a string" } };
    for (const v of scope.split(/\s+/).filter((s) => s !== "")) {
      if (!conf.scopes.includes(v))
        return { error: { error: "invalid_scope", error_description: `"${v}" is an invalid scope` } };
      scopes.push(v);
    }
  } else if (scope === undefined && conf.mandatory_scope) {
    return { error: { error: "invalid_scope", error_description: "You must specify a scope" } };
  }
  return { scope: scopes.length > 0 ? scopes.join(" ") : undefined };
}

/** Kong's make_www_authenticate_header. */
export function bearerChallenge(realm: string | null, error?: string, description?: string): string {
  const params: string[] = [];
  if (realm) params.push(`realm="${realm}"`);
  if (error !== undefined) params.push(`error="${error}"`);
  if (description !== undefined) params.push(`error_description="${description}"`);
  return params.length > 0 ? `Bearer ${params.join(", ")}` : "Bearer";
}

/** ngx.escape_uri: everything but unreserved characters percent-encoded. */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeArgs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

/** Kong's encode_args: keys sorted, `key=value` percent-encoded, joined with `&`. */
function encodeArgs(args: Record<string, string | number | undefined>): string {
  return Object.keys(args)
    .filter((k) => args[k] !== undefined)
    .sort()
    .map((k) => `${escapeUri(k)}=${escapeUri(String(args[k]))}`)
    .join("&");
}

/**
 * The redirect URI with `params` merged into its query — or, for the implicit grant, into its
 * fragment — as Kong's authorize endpoint builds it.
 */
export function redirectWith(uri: string, params: OAuthBody, inFragment: boolean): string {
  const m = /^([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(uri);
  const base = m?.[1] ?? uri;
  const query = m?.[2];
  const fragment = m?.[3];
  if (inFragment) {
    const merged = encodeArgs({ ...decodeArgs(fragment ?? ""), ...params });
    return `${base}${query !== undefined ? `?${query}` : ""}#${merged}`;
  }
  const merged = encodeArgs({ ...decodeArgs(query ?? ""), ...params });
  return `${base}?${merged}${fragment !== undefined ? `#${fragment}` : ""}`;
}

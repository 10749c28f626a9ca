/**
 * oauth2 (Kong 3.x kong/plugins/oauth2/access.lua `execute`): a request whose path ends with
 * `/oauth2/token` or `/oauth2/authorize` (a trailing slash allowed) is one of the provider's
 * endpoints (flows.ts; POST only, else Kong's 405 `invalid_method`); any other request must carry
 * an access token — `Authorization: Bearer <token>` (the `auth_header_name` header), else an
 * `access_token` query or body argument — valid on this route's service (or global, with
 * `global_credentials`) and not expired. The upstream then gets the consumer's X-Consumer-*
 * headers, X-Credential-Identifier (the client_id), X-Authenticated-Scope and
 * X-Authenticated-Userid; a failure is Kong's 401 with `{ error, error_description }` and a
 * `Bearer` WWW-Authenticate challenge, or the anonymous consumer when `anonymous` is set.
 * Tokens are never logged.
 */
import type { GatewayConsumer, OAuth2Credential, OAuth2Token } from "../../config/types.js";
import { setConsumer } from "../_shared/auth-consumer.js";
import { encodeBody, parseBody, removeBodyField, replaceUpstreamBody } from "../_shared/request-body.js";
import type { PluginEntry, PluginEnvironment, PluginHandler, RequestContext } from "../types.js";
import { alive, authorize, type FlowDeps, issueToken } from "./flows.js";
import { bearerChallenge, retrieveParameters } from "./params.js";
import type { OAuth2Config } from "./schema.js";

const SCOPE_HEADER = "x-authenticated-scope";
const USERID_HEADER = "x-authenticated-userid";
const INVALID = "The access token is invalid or has expired";

interface Failure {
  status: number;
  body: { error: string; error_description: string };
  challenge: string;
  /** answered even with `anonymous` (Kong exits there and then) */
  final?: boolean;
}

function endsWithEndpoint(path: string, endpoint: string): boolean {
  return path.endsWith(endpoint) || path.endsWith(`${endpoint}/`);
}

function clearUpstream(ctx: RequestContext, name: string): void {
  if (ctx.upstream.headers[name] !== undefined) delete ctx.upstream.headers[name];
}

function setUpstream(ctx: RequestContext, name: string, value: string | null): void {
  if (value !== null && value !== "") ctx.upstream.headers[name] = value;
  else clearUpstream(ctx, name);
}

/** Kong's parse_access_token, hiding it from the upstream when asked. */
async function parseAccessToken(ctx: RequestContext, conf: OAuth2Config): Promise<string | undefined> {
  const headerName = conf.auth_header_name.toLowerCase();
  const header = ctx.request.headersDistinct[headerName]?.[0];
  let token: string | undefined;
  let inHeader = false;
  if (header !== undefined) {
    token = header;
    const parts = header.split(/\s+/).filter((p) => p !== "");
    if (parts.length === 2 && (parts[0]!.toLowerCase() === "token" || parts[0]!.toLowerCase() === "bearer")) {
      token = parts[1];
      inHeader = true;
    }
  } else {
    const value = (await retrieveParameters(ctx)).access_token;
    if (typeof value !== "string") return undefined;
    token = value;
  }
  if (conf.hide_credentials) {
    if (inHeader) clearUpstream(ctx, headerName);
    else {
      ctx.upstream.query.delete("access_token");
      const type = ctx.request.headers["content-type"];
      const contentType = Array.isArray(type) ? type[0] : type;
      if (ctx.request.method !== "GET" && contentType?.includes("application/x-www-form-urlencoded")) {
        const body = parseBody(contentType, await ctx.request.readBody());
        if (body !== null) {
          removeBodyField(body, "access_token");
          replaceUpstreamBody(ctx.upstream, encodeBody(body));
        }
      }
    }
  }
  return token;
}

function invalidToken(final = false): Failure {
  return {
    status: 401,
    body: { error: "invalid_token", error_description: INVALID },
    challenge: "",
    final,
  };
}

/** Kong's set_consumer: the consumer headers, and the token's scope and end user. */
function authenticate(
  ctx: RequestContext,
  consumer: GatewayConsumer,
  credential: OAuth2Credential | null,
  token: OAuth2Token | null,
): void {
  setConsumer(
    ctx,
    consumer,
    credential === null
      ? null
      : { id: credential.id, consumer: credential.consumer, identifier: credential.client_id },
  );
  setUpstream(ctx, SCOPE_HEADER, token?.scope ?? null);
  setUpstream(ctx, USERID_HEADER, token?.authenticated_userid ?? null);
}

/** Kong's do_authentication: null when the request is authenticated. */
async function doAuthentication(ctx: RequestContext, deps: FlowDeps): Promise<Failure | null> {
  const conf = deps.entry.config;
  const accessToken = await parseAccessToken(ctx, conf);
  if (accessToken === undefined || accessToken === "") {
    return {
      status: 401,
      body: { error: "invalid_request", error_description: "The access token is missing" },
      challenge: bearerChallenge(conf.realm),
    };
  }
  const found = deps.env.credentials.oauth2Token(accessToken);
  const token = found !== null && alive(found) ? found : null;
  const serviceId = ctx.service?.id ?? null;
  if (token !== null && !conf.global_credentials && token.service === null) {
    return {
      status: 401,
      body: {
        error: "invalid_token",
        error_description:
          "The access token is global, but the current plugin is configured without 'global_credentials'",
      },
      challenge: bearerChallenge(conf.realm, "invalid_token", INVALID),
      final: true,
    };
  }
  if (token === null || (token.service !== null && token.service !== serviceId)) return invalidToken();
  if (token.expires_in > 0 && Date.now() / 1000 - token.created_at > token.expires_in) return invalidToken();
  const client = deps.env.credentials.oauth2ClientById(token.credential);
  if (client === null) return invalidToken();
  authenticate(ctx, client.consumer, client.credential, token);
  return null;
}

function fail(ctx: RequestContext, conf: OAuth2Config, f: Failure): void {
  const challenge = f.challenge !== "" ? f.challenge : bearerChallenge(conf.realm, "invalid_token", INVALID);
  ctx.exit(f.status, f.body, { headers: { "www-authenticate": challenge } });
}

async function access(ctx: RequestContext, deps: FlowDeps): Promise<void> {
  const conf = deps.entry.config;
  const path = ctx.request.path;
  for (const [endpoint, name, run] of [
    ["/oauth2/token", "token", issueToken],
    ["/oauth2/authorize", "authorization", authorize],
  ] as const) {
    if (!endsWithEndpoint(path, endpoint)) continue;
    if (ctx.request.method !== "POST") {
      const description = `The HTTP method ${ctx.request.method} is invalid for the ${name} endpoint`;
      ctx.exit(
        405,
        { error: "invalid_method", error_description: description },
        { headers: { "www-authenticate": bearerChallenge(conf.realm, "invalid_method", description) } },
      );
      return;
    }
    return run(ctx, deps);
  }
  if (conf.anonymous === null) {
    // logical AND: this plugin must authenticate the request
    const failure = await doAuthentication(ctx, deps);
    if (failure !== null) fail(ctx, conf, failure);
    return;
  }
  // logical OR: authenticated already by another plugin, or this one, or the anonymous consumer
  if (ctx.credential !== null) {
    clearUpstream(ctx, SCOPE_HEADER);
    clearUpstream(ctx, USERID_HEADER);
    return;
  }
  const failure = await doAuthentication(ctx, deps);
  if (failure === null) return;
  if (failure.final === true) {
    fail(ctx, conf, failure);
    return;
  }
  const anonymous = deps.env.credentials.consumer(conf.anonymous);
  if (anonymous === null) {
    const message = `anonymous consumer ${conf.anonymous} is configured but doesn't exist`;
    deps.env.logger.error(message);
    ctx.exitMessage(500, message);
    return;
  }
  authenticate(ctx, anonymous, null, null);
}

export function createOAuth2Handler(entry: PluginEntry<OAuth2Config>, env: PluginEnvironment): PluginHandler {
  const deps: FlowDeps = { entry, env };
  return {
    access: async (ctx) => {
      try {
        await access(ctx, deps);
      } catch (e) {
        // Kong's error(err): a 500 (the reason logged, never a token)
        env.logger.error("oauth2: could not store a token or code", { error: (e as Error).message });
        ctx.exitMessage(500, "An unexpected error occurred");
      }
    },
  };
}

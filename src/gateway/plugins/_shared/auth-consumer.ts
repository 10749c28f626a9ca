/**
 * What every authentication plugin does the same way as Kong (kong.client.authenticate
 * plus the plugins' set_consumer): record the consumer and credential on the request
 * context, set or clear the X-Consumer-* headers sent upstream (so a client can never
 * spoof them through an auth plugin), the anonymous fallback, the logical OR between
 * several auth plugins configured with `anonymous`, and the `run_on_preflight` skip.
 */
import type { GatewayConsumer } from "../../config/types.js";
import type { PluginEnvironment, RequestContext } from "../types.js";

/** Kong's constants.HEADERS for consumers, lowercased as UpstreamRequest.headers holds them. */
export const CONSUMER_HEADERS = {
  id: "x-consumer-id",
  customId: "x-consumer-custom-id",
  username: "x-consumer-username",
  credentialIdentifier: "x-credential-identifier",
  anonymous: "x-anonymous-consumer",
} as const;

export interface AuthenticatedCredential {
  id: string;
  consumer: string;
  /** Value of X-Credential-Identifier (key-auth: credential id, basic-auth: username, jwt: key). */
  identifier: string;
}

/**
 * An authentication failure: a message (sent as Kong's error body, `{message, request_id}` in
 * JSON, by kong.response.error) or a whole JSON body.
 */
export interface AuthFailure {
  status: number;
  message?: string;
  /** Sent as-is instead (kong.response.exit: jwt's `{"message": …}` and `{"exp": "token expired"}`). */
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

function setOrClear(ctx: RequestContext, name: string, value: string | null | undefined): void {
  const headers = ctx.upstream.headers;
  if (value !== null && value !== undefined && value !== "") headers[name] = value;
  // only an existing field is deleted: deleting makes the object a slow dictionary
  else if (headers[name] !== undefined) delete headers[name];
}

/** Kong's set_consumer: `credential` null means the anonymous consumer. */
export function setConsumer(
  ctx: RequestContext,
  consumer: GatewayConsumer,
  credential: AuthenticatedCredential | null,
): void {
  ctx.consumer = consumer;
  ctx.credential = credential
    ? { id: credential.id, consumer: credential.consumer, identifier: credential.identifier }
    : null;
  setOrClear(ctx, CONSUMER_HEADERS.id, consumer.id);
  setOrClear(ctx, CONSUMER_HEADERS.customId, consumer.custom_id);
  setOrClear(ctx, CONSUMER_HEADERS.username, consumer.username);
  setOrClear(ctx, CONSUMER_HEADERS.credentialIdentifier, credential?.identifier);
  setOrClear(ctx, CONSUMER_HEADERS.anonymous, credential ? null : "true");
}

export interface CommonAuthConfig {
  anonymous: string | null;
  run_on_preflight?: boolean;
}

/**
 * The access phase shared by key-auth, jwt and basic-auth: skip preflights when asked,
 * stop when an earlier auth plugin already authenticated and `anonymous` makes this one
 * optional, run `authenticate`, and on failure either fall back to the anonymous
 * consumer or answer with the failure. Synchronous when `authenticate` is (no promise,
 * no microtask on the request's hot path).
 */
export function runAuthentication(
  ctx: RequestContext,
  conf: CommonAuthConfig,
  env: PluginEnvironment,
  authenticate: () => AuthFailure | null | Promise<AuthFailure | null>,
): void | Promise<void> {
  if (conf.run_on_preflight === false && ctx.request.method === "OPTIONS") return;
  if (conf.anonymous && ctx.credential) return;
  const result = authenticate();
  if (result instanceof Promise)
    return result.then((failure) => settleAuthentication(ctx, conf, env, failure));
  settleAuthentication(ctx, conf, env, result);
}

/** After authenticate: nothing to do on success, else the anonymous consumer or the failure answer. */
function settleAuthentication(
  ctx: RequestContext,
  conf: CommonAuthConfig,
  env: PluginEnvironment,
  failure: AuthFailure | null,
): void {
  if (!failure) return;
  if (conf.anonymous) {
    const anonymous = env.credentials.consumer(conf.anonymous);
    if (!anonymous) {
      const message = `anonymous consumer ${conf.anonymous} is configured but doesn't exist`;
      env.logger.error(message);
      ctx.exitMessage(500, message);
      return;
    }
    setConsumer(ctx, anonymous, null);
    return;
  }
  const options = failure.headers ? { headers: failure.headers } : undefined;
  if (failure.body) ctx.exit(failure.status, failure.body, options);
  else ctx.exitMessage(failure.status, failure.message ?? "Unauthorized", options);
}

/** `Scheme` or `Scheme realm="…"` for WWW-Authenticate (Kong 3.8+: realm unset → bare scheme). */
export function challenge(scheme: string, realm: string | null | undefined): string {
  return realm ? `${scheme} realm="${realm}"` : scheme;
}

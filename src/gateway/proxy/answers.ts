import type { GatewayRoute } from "../config/types.js";
import type { ExitResponse } from "./context.js";
import { PROXY_ERRORS, type ProxyErrorCode, renderErrorBody } from "./errors.js";

/** The answers the gateway gives itself, before or instead of proxying (Kong's bodies and headers). */

const JSON_CONTENT_TYPE = "application/json; charset=utf-8";
const HTTPS_REQUIRED_BODY = JSON.stringify({ message: "Please use HTTPS protocol" });

/** A JSON answer. */
export function jsonExit(status: number, body: object): ExitResponse {
  return {
    status,
    body: Buffer.from(JSON.stringify(body)),
    headers: { "content-type": JSON_CONTENT_TYPE },
  };
}

/** Kong's error answer for a gateway failure, in the format the client's Accept asks for. */
export function errorExit(code: ProxyErrorCode, requestId: string, accept: string | undefined): ExitResponse {
  const spec = PROXY_ERRORS[code];
  const rendered = renderErrorBody(spec.message, requestId, accept);
  return {
    status: spec.status,
    body: Buffer.from(rendered.body),
    headers: { "content-type": rendered.contentType },
  };
}

/**
 * Kong's answer to plain http on an https-only route: `kong.response.exit(426, { message =
 * "Please use HTTPS protocol" })` with `Connection: Upgrade` and `Upgrade: TLS/1.2, HTTP/1.1`
 * (a plain JSON body: no request id, no Accept negotiation), or the route's configured
 * redirect (301/302/307/308) to `https://` + host + the request URI. `host` is the forwarded
 * host when a trusted peer sent X-Forwarded-Host, else the request's.
 */
export function httpsRequiredExit(route: GatewayRoute, host: string, requestUri: string): ExitResponse {
  const status = route.https_redirect_status_code;
  if (status === 426) {
    return {
      status: 426,
      body: Buffer.from(HTTPS_REQUIRED_BODY),
      headers: { "content-type": JSON_CONTENT_TYPE, connection: "Upgrade", upgrade: "TLS/1.2, HTTP/1.1" },
    };
  }
  return { status, body: null, headers: { location: `https://${host}${requestUri}` } };
}

import type { IncomingMessage } from "node:http";
import type { RouteMatch } from "../router/types.js";
import { ProxyContext } from "./context.js";
import type { HashableRequest } from "./hash-source.js";
import type { RealIp } from "./real-ip.js";
import { requestIdFor } from "./request-id.js";
import { type RequestTarget, splitTarget } from "./request-target.js";
import { normalizeIp } from "./trusted-ips.js";
import { type PreparedUpstreamRequest, prepareUpstreamRequest } from "./upstream-request.js";

/**
 * Who asked for what, read once when a request arrives — and what the exchange derives from
 * it: the upstream request, the plugin context, consistent hashing's view.
 */
export interface Arrival {
  readonly requestId: string;
  /** the TCP peer, and whether it is in trusted_ips */
  readonly peerIp: string;
  readonly trusted: boolean;
  readonly clientIp: string;
  readonly target: RequestTarget;
  /** set once a snapshot is known (X-Forwarded-Proto of a trusted peer; the Host or the target's authority) */
  protocol: "http" | "https";
  host: string;
}

/** process.hrtime.bigint() at performance.now() === 0, to derive RequestContext.startedAt. */
const HRTIME_ORIGIN_NS = process.hrtime.bigint() - BigInt(Math.round(performance.now() * 1e6));

export function arrive(realIp: RealIp, req: IncomingMessage): Arrival {
  const peerIp = normalizeIp(req.socket.remoteAddress);
  const trusted = realIp.isTrusted(peerIp);
  return {
    requestId: requestIdFor(req.headers),
    peerIp,
    trusted,
    clientIp: trusted ? realIp.clientOfTrusted(peerIp, req) : peerIp,
    target: splitTarget(req.url),
    protocol: "http",
    host: "",
  };
}

/** THE upstream request of an exchange (for an unmatched request: the path as received). */
export function upstreamRequestOf(
  req: IncomingMessage,
  arrival: Arrival,
  match: RouteMatch | null,
): PreparedUpstreamRequest {
  const target = arrival.target;
  return prepareUpstreamRequest({
    method: req.method ?? "GET",
    headers: req.headers,
    upstreamPath: match?.upstreamPath ?? target.path,
    rawQuery: target.rawQuery,
    downstreamPath: target.path,
    host: arrival.host,
    authority: target.authority,
    peerIp: arrival.peerIp,
    clientIp: arrival.clientIp,
    trusted: arrival.trusted,
    protocol: arrival.protocol,
    serverPort: req.socket.localPort ?? 0,
    preserveHost: match?.route.preserve_host ?? true,
    strippedPrefix: match?.strippedPrefix ?? null,
    requestId: arrival.requestId,
  });
}

/** The plugin context of an exchange that started at `tStart` (performance.now()). */
export function contextOf(
  req: IncomingMessage,
  arrival: Arrival,
  match: RouteMatch | null,
  upstream: PreparedUpstreamRequest,
  tStart: number,
): ProxyContext {
  const ctx = new ProxyContext(
    req,
    arrival.requestId,
    HRTIME_ORIGIN_NS + BigInt(Math.round(tStart * 1e6)),
    arrival.clientIp,
    arrival.protocol,
    match?.route ?? null,
    match?.service ?? null,
    match?.uriCaptures ?? null,
    upstream,
    arrival.target.path,
    arrival.target.rawQuery,
    arrival.host,
  );
  ctx.peer = {
    scheme: (req.socket as { encrypted?: boolean }).encrypted === true ? "https" : "http",
    trusted: arrival.trusted,
  };
  return ctx;
}

/** What consistent hashing reads of the request (the consumer as the access phase left it). */
export function hashableOf(
  req: IncomingMessage,
  arrival: Arrival,
  ctx: ProxyContext | null,
  match: RouteMatch | null,
  cookiePath: string,
): HashableRequest {
  return {
    headers: req.headers,
    clientIp: arrival.clientIp,
    target: arrival.target,
    consumerId: ctx?.consumer?.id ?? ctx?.credential?.id ?? null,
    uriCaptures: match?.uriCaptures ?? null,
    cookiePath,
  };
}

/** The URI an https redirect points at: the request URI as received; of an absolute-form target, its path and query. */
export function requestUriOf(req: IncomingMessage, arrival: Arrival): string {
  const { path, rawQuery, authority } = arrival.target;
  return authority === null ? (req.url ?? "/") : rawQuery === "" ? path : `${path}?${rawQuery}`;
}

import type { IncomingHttpHeaders } from "node:http";
import type { GatewayRoute, GatewayService } from "../config/types.js";

/** What the router looks at. */
export interface RouteRequest {
  method: string;
  /** Host without port, lowercased (from the Host header or :authority). */
  host: string;
  /**
   * Port given in the Host header, if any (routes with `host:port` need it). When omitted
   * the router reads it from `headers.host`.
   */
  port?: number | null;
  /** Raw request path (no query), exactly as received. */
  path: string;
  headers: IncomingHttpHeaders;
  protocol: "http" | "https";
}

/** A routing answer. Shared between the requests it answers (cached): read-only, frozen. */
export interface RouteMatch {
  readonly route: GatewayRoute;
  readonly service: GatewayService | null;
  /** Path to send upstream after strip_path and service.path joining (Kong v0/v1 handling). */
  readonly upstreamPath: string;
  /** The route path (prefix or regex) that matched, if any. */
  readonly matchedPath: string | null;
  /** Regex captures: numbered and named (Kong's router_matches.uri_captures). */
  readonly uriCaptures: Readonly<Record<string, string>> | null;
  /** The prefix removed by strip_path, for X-Forwarded-Prefix. */
  readonly strippedPrefix: string | null;
}

export interface Router {
  match(req: RouteRequest): RouteMatch | null;
}

import type { IncomingHttpHeaders } from "node:http";
import type { UpstreamRequest } from "../plugins/types.js";
import { appendVia } from "./constants.js";
import { withoutHopByHop } from "./hop-by-hop.js";

/** The request as it will go upstream; `query` is parsed only when a plugin touches it. */
export class PreparedUpstreamRequest implements UpstreamRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  private rawQuery: string;
  private parsedQuery: URLSearchParams | null = null;

  constructor(method: string, path: string, rawQuery: string, headers: Record<string, string | string[]>) {
    this.method = method;
    this.path = path;
    this.rawQuery = rawQuery;
    this.headers = headers;
  }

  get query(): URLSearchParams {
    if (this.parsedQuery === null) this.parsedQuery = new URLSearchParams(this.rawQuery);
    return this.parsedQuery;
  }

  set query(q: URLSearchParams) {
    this.parsedQuery = q;
  }

  /** Path plus query string, as sent on the request line. */
  target(): string {
    const q = this.parsedQuery === null ? this.rawQuery : this.parsedQuery.toString();
    return q === "" ? this.path : `${this.path}?${q}`;
  }
}

const DROP_EXPECT: ReadonlySet<string> = new Set(["expect"]);
const DROP_EXPECT_PREFIX: ReadonlySet<string> = new Set(["expect", "x-forwarded-prefix"]);
const DROP_EXPECT_HOST: ReadonlySet<string> = new Set(["expect", "host"]);
const DROP_EXPECT_HOST_PREFIX: ReadonlySet<string> = new Set(["expect", "host", "x-forwarded-prefix"]);

export interface UpstreamRequestInput {
  method: string;
  headers: IncomingHttpHeaders;
  /** path after strip_path / service.path joining */
  upstreamPath: string;
  /** query string without `?` ("" when none) */
  rawQuery: string;
  /** raw downstream path (no query), for X-Forwarded-Path */
  downstreamPath: string;
  /** downstream host without port, lowercased (Kong's $host) */
  host: string;
  /** an absolute-form target's authority (it replaces the Host header, RFC 9112 §3.2.2), else null */
  authority: string | null;
  /** the TCP peer (Kong's realip_remote_addr) */
  peerIp: string;
  /** the client address after trusted-ip resolution (Kong's remote_addr) */
  clientIp: string;
  /** is the peer in trusted_ips */
  trusted: boolean;
  protocol: "http" | "https";
  /** port of the listener that received the request */
  serverPort: number;
  preserveHost: boolean;
  /** the prefix strip_path removed (X-Forwarded-Prefix), if any */
  strippedPrefix: string | null;
  requestId: string;
}

/**
 * THE function that prepares the upstream request (Kong's runloop `access.after` + nginx
 * proxy_set_header): hop-by-hop fields dropped (the fixed list and every field Connection
 * names; `TE: trailers` kept), X-Real-IP / X-Forwarded-* set (incoming values kept only from
 * trusted peers; X-Forwarded-For is the incoming chain plus the peer, or the client address),
 * Via appended, Host kept only with preserve_host (the absolute-form target's authority when
 * there is one; otherwise the balancer's target fills it in).
 */
export function prepareUpstreamRequest(input: UpstreamRequestInput): PreparedUpstreamRequest {
  const incoming = input.headers;
  // Expect: the gateway's listener settled `100-continue` with the client; it ends at this hop.
  // Host: kept only with preserve_host (else the balancer's target fills it in).
  // X-Forwarded-Prefix: from trusted peers only (set below).
  const trustedPrefix = input.trusted && incoming["x-forwarded-prefix"] !== undefined;
  const headers = withoutHopByHop(
    incoming,
    input.preserveHost
      ? trustedPrefix
        ? DROP_EXPECT
        : DROP_EXPECT_PREFIX
      : trustedPrefix
        ? DROP_EXPECT_HOST
        : DROP_EXPECT_HOST_PREFIX,
  );
  if (input.preserveHost && input.authority !== null) headers.host = input.authority;
  const te = incoming.te;
  if (te !== undefined && /\btrailers\b/i.test(String(te))) headers.te = "trailers";

  headers["x-real-ip"] = input.clientIp;
  // Kong: the incoming chain plus the peer, or the client address when there is no chain
  const xff = incoming["x-forwarded-for"];
  headers["x-forwarded-for"] =
    xff === undefined || xff === ""
      ? input.clientIp
      : `${Array.isArray(xff) ? xff.join(", ") : xff}, ${input.peerIp}`;
  if (!input.trusted || incoming["x-forwarded-proto"] === undefined)
    headers["x-forwarded-proto"] = input.protocol;
  if (!input.trusted || incoming["x-forwarded-host"] === undefined) headers["x-forwarded-host"] = input.host;
  if (!input.trusted || incoming["x-forwarded-port"] === undefined) {
    headers["x-forwarded-port"] = String(input.serverPort);
  }
  if (!input.trusted || incoming["x-forwarded-path"] === undefined) {
    headers["x-forwarded-path"] = input.downstreamPath;
  }
  if (!trustedPrefix) {
    const prefix = input.strippedPrefix;
    if (prefix !== null && prefix !== "" && prefix !== "/") headers["x-forwarded-prefix"] = prefix;
  }
  headers.via = appendVia(incoming.via);
  headers["x-kong-request-id"] = input.requestId;

  return new PreparedUpstreamRequest(input.method, input.upstreamPath, input.rawQuery, headers);
}

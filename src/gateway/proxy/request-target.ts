import type { IncomingMessage } from "node:http";

/** Parsed pieces of the request target. */
export interface RequestTarget {
  path: string;
  rawQuery: string;
  /**
   * The authority of an absolute-form target (`GET http://a.example:8080/x`), which replaces the
   * Host header (RFC 9112 §3.2.2); null for origin-form (and asterisk-form). An empty string
   * marks an absolute-form target that is not an http(s) URI with a host: a bad request.
   */
  authority: string | null;
}

const HTTP_SCHEME = /^https?$/i;

export function splitTarget(url: string | undefined): RequestTarget {
  let u = url ?? "/";
  let authority: string | null = null;
  if (u.charCodeAt(0) !== 47 /* / */) {
    // absolute-form (proxy requests) or asterisk-form
    const scheme = u.indexOf("://");
    if (scheme > 0) {
      const start = scheme + 3;
      let end = start;
      while (end < u.length && !"/?#".includes(u[end]!)) end++;
      // userinfo (`user@host`) is no part of the authority a request is routed by (RFC 9110 §4.2.4)
      const hostPort = u.slice(start, end);
      authority = HTTP_SCHEME.test(u.slice(0, scheme)) ? hostPort.slice(hostPort.lastIndexOf("@") + 1) : "";
      const rest = u.slice(end);
      u = rest.charCodeAt(0) === 47 /* / */ ? rest : `/${rest}`;
    } else if (u !== "*") u = `/${u}`;
  }
  const q = u.indexOf("?");
  return q < 0
    ? { path: u, rawQuery: "", authority }
    : { path: u.slice(0, q), rawQuery: u.slice(q + 1), authority };
}

/** Host header without port, lowercased (Kong's $host). */
export function hostWithoutPort(host: string | undefined): string {
  if (host === undefined || host === "") return "";
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf("]");
    return (end > 0 ? host.slice(0, end + 1) : host).toLowerCase();
  }
  const colon = host.indexOf(":");
  return (colon < 0 ? host : host.slice(0, colon)).toLowerCase();
}

/** Does the request carry a body (Content-Length > 0 or chunked)? */
export function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers["content-length"];
  if (cl !== undefined) return cl !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

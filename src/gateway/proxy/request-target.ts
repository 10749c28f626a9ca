import type { IncomingMessage } from "node:http";

/** Parsed pieces of the request target. */
export interface RequestTarget {
  path: string;
  rawQuery: string;
}

export function splitTarget(url: string | undefined): RequestTarget {
  let u = url ?? "/";
  if (u.charCodeAt(0) !== 47 /* / */) {
    // absolute-form (proxy requests) or asterisk-form
    const scheme = u.indexOf("://");
    if (scheme > 0) {
      const slash = u.indexOf("/", scheme + 3);
      u = slash < 0 ? "/" : u.slice(slash);
    } else if (u !== "*") u = `/${u}`;
  }
  const q = u.indexOf("?");
  return q < 0 ? { path: u, rawQuery: "" } : { path: u.slice(0, q), rawQuery: u.slice(q + 1) };
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

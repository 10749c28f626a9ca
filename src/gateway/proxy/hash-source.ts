import type { IncomingHttpHeaders } from "node:http";
import type { HashSource } from "../balancer/index.js";
import type { GatewayUpstream } from "../config/types.js";
import { newRequestId } from "./request-id.js";
import type { RequestTarget } from "./request-target.js";

/** What a request offers consistent hashing (read when the balancer picks a peer). */
export interface HashableRequest {
  readonly headers: IncomingHttpHeaders;
  readonly clientIp: string;
  readonly target: RequestTarget;
  /** the authenticated consumer's id, else the credential's (Kong's hash_on consumer) */
  readonly consumerId: string | null;
  readonly uriCaptures: Readonly<Record<string, string>> | null;
  /** Path attribute of a cookie the gateway makes up (upstream hash_on_cookie_path) */
  readonly cookiePath: string;
}

/**
 * The hash value for each `hash_on` kind, as Kong reads it. For `cookie`, a client without
 * the cookie gets one made up (Kong does the same): it is hashed on and remembered in
 * `generatedCookie`, whose `Set-Cookie` value the response must carry.
 */
export class RequestHashSource implements HashSource {
  generatedCookie: { value: string; header: string } | null = null;

  constructor(private readonly request: HashableRequest) {}

  value(kind: GatewayUpstream["hash_on"], name: string | null): string | null {
    const request = this.request;
    switch (kind) {
      case "ip":
        return request.clientIp;
      case "consumer":
        return request.consumerId;
      case "header": {
        if (name === null) return null;
        const v = request.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(",") : v;
      }
      case "cookie": {
        if (name === null) return null;
        const given = cookieValue(request.headers.cookie, name);
        if (given !== null) return given;
        if (this.generatedCookie === null) {
          const value = newRequestId();
          this.generatedCookie = { value, header: `${name}=${value}; Path=${request.cookiePath}` };
        }
        return this.generatedCookie.value;
      }
      case "path":
        return request.target.path;
      case "query_arg": {
        if (name === null) return null;
        const all = new URLSearchParams(request.target.rawQuery).getAll(name);
        return all.length === 0 ? null : all.join(",");
      }
      case "uri_capture":
        return name === null ? null : (request.uriCaptures?.[name] ?? null);
      default:
        return null;
    }
  }
}

/** One cookie's value from a Cookie header, or null. */
export function cookieValue(cookie: string | undefined, name: string): string | null {
  if (cookie === undefined) return null;
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

import type { IncomingMessage } from "node:http";
import type { ProxyErrorCode } from "./errors.js";
import type { RequestTarget } from "./request-target.js";

/**
 * What the gateway refuses in a request line that Node's parser let through (RFC 9112):
 * only HTTP/1.0 and HTTP/1.1 are served — HTTP/0.9 (with or without a version token) is a
 * bad request (400), any other version in a text request line (`HTTP/2.0`) is 505 — and an
 * absolute-form target must be an http(s) URI with a host. Null: serve it.
 */
export function requestLineRefusal(req: IncomingMessage, target: RequestTarget): ProxyErrorCode | null {
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) {
    return req.httpVersionMajor === 0 ? "GW_BAD_REQUEST" : "GW_HTTP_VERSION";
  }
  if (target.authority === "") return "GW_BAD_REQUEST";
  return null;
}

const VERSIONED_REQUEST_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ \S+ HTTP\/(\d)\.(\d)\r?\n/;

/**
 * The status for a request line Node's parser rejected as `HPE_INVALID_VERSION`: 505 when it
 * names a well-formed version other than 1.0/1.1 (`HTTP/3.0`, `HTTP/1.2`), else 400.
 */
export function invalidVersionStatus(rawPacket: Buffer | undefined): 400 | 505 {
  if (rawPacket === undefined) return 400;
  const m = VERSIONED_REQUEST_LINE.exec(rawPacket.subarray(0, 8192).toString("latin1"));
  if (m === null) return 400;
  const major = Number(m[1]);
  return major === 0 ? 400 : 505;
}

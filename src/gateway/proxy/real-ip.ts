import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { TrustedIps } from "./trusted-ips.js";

/** Kong's defaults: `real_ip_header = X-Real-IP`, `real_ip_recursive = off`. */
export const DEFAULT_REAL_IP_HEADER = "X-Real-IP";

export interface RealIpSettings {
  /** Kong's `trusted_ips` (nginx `set_real_ip_from`) */
  trusted: TrustedIps;
  /** Kong's `real_ip_header` (nginx `real_ip_header`): the only header the client address comes from */
  header?: string;
  /** Kong's `real_ip_recursive` (nginx `real_ip_recursive`) */
  recursive?: boolean;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The client address as Kong computes it (nginx's realip module, which Kong configures from
 * `trusted_ips`, `real_ip_header` and `real_ip_recursive`):
 *  - a peer outside `trusted_ips` is the client, whatever it sends;
 *  - from a trusted peer, only the configured header counts (X-Forwarded-For is read as the
 *    whole chain of its lines; any other header from its first line), taken from the right:
 *    its last address replaces the peer; with `recursive`, while the address so far is trusted,
 *    the next one to the left replaces it (so the result is the right-most untrusted address,
 *    or the left-most when all are trusted);
 *  - an element that is not an address (`unknown`, garbage) ends the walk: the address so far stays.
 * Elements may carry a port (`1.2.3.4:5`, `[::1]:5`), as nginx accepts.
 */
export class RealIp {
  readonly trusted: TrustedIps;
  /** lowercased header name */
  readonly header: string;
  readonly recursive: boolean;
  private readonly chainHeader: boolean;

  constructor(settings: RealIpSettings) {
    const header = (settings.header ?? DEFAULT_REAL_IP_HEADER).trim();
    if (header.toLowerCase() === "proxy_protocol") {
      throw new Error(
        'real_ip_header "proxy_protocol" needs a PROXY-protocol listener, which this gateway does not have',
      );
    }
    if (!HEADER_NAME.test(header)) throw new Error(`real_ip_header: "${header}" is not a header name`);
    this.trusted = settings.trusted;
    this.header = header.toLowerCase();
    this.recursive = settings.recursive ?? false;
    this.chainHeader = this.header === "x-forwarded-for";
  }

  /** Is the TCP peer in trusted_ips (Kong's `kong.ip.is_trusted(realip_remote_addr)`)? */
  isTrusted(peer: string): boolean {
    return !this.trusted.empty && this.trusted.has(peer);
  }

  /** The client address of a request from `peer` (already normalized, see normalizeIp). */
  clientOf(peer: string, req: IncomingMessage): string {
    return this.isTrusted(peer) ? this.clientOfTrusted(peer, req) : peer;
  }

  /** clientOf for a peer the caller already found trusted (the proxy checks once per request). */
  clientOfTrusted(peer: string, req: IncomingMessage): string {
    const value = this.chainHeader ? req.headers[this.header] : firstHeaderLine(req, this.header);
    if (typeof value !== "string" || value === "") return peer;
    return this.walk(peer, value);
  }

  /** nginx's ngx_http_get_forwarded_addr over one (joined) header value. */
  private walk(peer: string, value: string): string {
    let address = peer;
    let end = value.length;
    while (end > 0) {
      if (!this.trusted.has(address)) break;
      let start = end;
      while (start > 0 && value.charCodeAt(start - 1) !== 44 /* , */) start--;
      const element = value.slice(start, end).trim();
      end = start - 1;
      if (element === "") {
        // nginx skips separators: an empty element is no element
        continue;
      }
      const candidate = addressOf(element);
      if (candidate === null) break;
      address = candidate;
      if (!this.recursive) break;
    }
    return address;
  }
}

/** Kong's `real_ip_recursive` value (`on`/`off`, or `true`/`false`); throws naming the setting. */
export function parseRealIpRecursive(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === "on" || v === "true") return true;
  if (v === "off" || v === "false") return false;
  throw new Error(`real_ip_recursive: expected "on" or "off", got "${value}"`);
}

/**
 * The first line of a header as received (Node joins repeated lines with ", "; nginx reads
 * a single-valued header such as X-Real-IP from its first line).
 */
function firstHeaderLine(req: IncomingMessage, name: string): string | undefined {
  const joined = req.headers[name];
  if (typeof joined !== "string" || !joined.includes(","))
    return typeof joined === "string" ? joined : undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) return raw[i + 1];
  }
  return joined;
}

/** An address with an optional port (`1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]`, `[::1]:80`), or null. */
export function addressOf(element: string): string | null {
  if (element.charCodeAt(0) === 91 /* [ */) {
    const close = element.indexOf("]");
    if (close < 0) return null;
    const rest = element.slice(close + 1);
    if (rest !== "" && !/^:\d{1,5}$/.test(rest)) return null;
    const inner = element.slice(1, close);
    return isIP(inner) === 6 ? inner : null;
  }
  if (isIP(element) !== 0) return element;
  const colon = element.indexOf(":");
  if (colon > 0 && colon === element.lastIndexOf(":") && /^\d{1,5}$/.test(element.slice(colon + 1))) {
    const host = element.slice(0, colon);
    return isIP(host) === 4 ? host : null;
  }
  return null;
}

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/** One resolved address of a host name. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
  /** seconds, when the resolver knows it */
  ttl?: number;
  /** from an SRV record: the port and weight this address takes instead of the target's */
  port?: number;
  weight?: number;
}

/**
 * Resolves a host name to ALL its addresses (A and AAAA). The default goes through the
 * system resolver (getaddrinfo: /etc/hosts, Docker's embedded DNS, …). Injectable so tests
 * can simulate `docker compose up --scale app=3` without controlling real DNS.
 */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (host) => {
  const records = await lookup(host, { all: true, verbatim: true });
  return records.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
};

export function isIpAddress(host: string): boolean {
  return isIP(stripBrackets(host)) !== 0;
}

export function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** Split Kong's `host:port` target (IPv6 in brackets); port defaults to 8000 as in Kong. */
export function parseTarget(target: string, defaultPort = 8000): { host: string; port: number } {
  const t = target.trim();
  if (t.startsWith("[")) {
    const end = t.indexOf("]");
    const host = t.slice(1, end);
    const rest = t.slice(end + 1);
    return { host, port: rest.startsWith(":") ? Number(rest.slice(1)) : defaultPort };
  }
  const colons = t.split(":").length - 1;
  if (colons === 1) {
    const [host = "", port = ""] = t.split(":");
    return { host, port: Number(port) };
  }
  // bare IPv6 without brackets, or host without port
  return { host: t, port: defaultPort };
}

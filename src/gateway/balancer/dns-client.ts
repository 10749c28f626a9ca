import { Resolver as DnsResolver } from "node:dns/promises";
import { isIP } from "node:net";
import { type ResolvedAddress, type Resolver, systemResolver } from "./dns.js";

/** Kong's dns_order entries: `LAST` is the type that last answered for that name. */
export const DNS_RECORD_TYPES = ["LAST", "SRV", "A", "AAAA", "CNAME"] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

/** Kong's default `dns_order`. */
export const DEFAULT_DNS_ORDER: readonly DnsRecordType[] = ["LAST", "SRV", "A", "CNAME"];

/** Kong's `dns_resolver` / `dns_order` settings. */
export interface DnsSettings {
  /** name servers, `ip` or `ip:port` (`[v6]:port`); empty: the system's (/etc/resolv.conf) */
  servers?: string[];
  /** record types tried in turn (default Kong's `LAST,SRV,A,CNAME`) */
  order?: DnsRecordType[];
  /** per-query timeout, ms (default 2000, as Kong's dns_timeout) */
  timeoutMs?: number;
}

/** SRV weight 0 means "hit minimally": Kong uses 1. */
const SRV_WEIGHT_ZERO = 1;

/** Parse Kong's `dns_order` (`LAST,SRV,A,CNAME`): a bad entry throws naming it. */
export function parseDnsOrder(value: string): DnsRecordType[] {
  const list = value
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== "");
  if (list.length === 0) throw new Error("expected record types such as LAST,SRV,A,CNAME");
  for (const t of list) {
    if (!(DNS_RECORD_TYPES as readonly string[]).includes(t)) {
      throw new Error(`"${t}" is not a record type: expected some of ${DNS_RECORD_TYPES.join(", ")}`);
    }
  }
  return list as DnsRecordType[];
}

/** Parse Kong's `dns_resolver` (`8.8.8.8,127.0.0.1:8600,[::1]:53`): a bad entry throws naming it. */
export function parseDnsResolver(value: string): string[] {
  const list = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const s of list) {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
    const ip = m?.[1] ?? s;
    const port = m?.[2] === undefined ? 53 : Number(m[2]);
    if (isIP(ip) === 0 || port < 1 || port > 65535) {
      throw new Error(
        `"${s}" is not a name server: expected an IP address with an optional port (10.0.0.2:8600)`,
      );
    }
  }
  return list;
}

/**
 * The DNS lookups of Kong's balancer (its dns_order): for each name, the record types are tried
 * in turn until one answers. An SRV answer gives one address per record of the best (lowest)
 * priority, with the record's port and weight (weight 0 counts as 1); its target names are
 * resolved in turn (A, then AAAA). Answers carry their TTLs, which the balancer re-resolves by.
 *
 * With name servers given (`dns_resolver`) every query goes to them — that is how Consul's DNS
 * interface (`<service>.service.consul`, port 8600) is reached. Without, SRV/CNAME queries go
 * to the system's servers and A/AAAA go through the system resolver (getaddrinfo: /etc/hosts,
 * Docker's embedded DNS), which reports no TTL: the periodic refresh applies then.
 *
 * node:dns does not report an SRV record's own TTL; the shortest TTL of the addresses its
 * targets resolve to stands for it (Consul gives both the same `service_ttl`).
 */
export function dnsResolver(settings: DnsSettings): Resolver {
  const dns = new DnsResolver({ timeout: settings.timeoutMs ?? 2000, tries: 2 });
  const servers = settings.servers ?? [];
  if (servers.length > 0) dns.setServers(servers);
  const order = settings.order ?? [...DEFAULT_DNS_ORDER];
  const last = new Map<string, DnsRecordType>();

  const addressesOf = async (host: string, types: readonly ("A" | "AAAA")[]): Promise<ResolvedAddress[]> => {
    if (isIP(host) !== 0) return [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
    if (servers.length === 0) return systemResolver(host);
    let lastError: unknown = null;
    for (const t of types) {
      try {
        const records =
          t === "A" ? await dns.resolve4(host, { ttl: true }) : await dns.resolve6(host, { ttl: true });
        if (records.length > 0) {
          return records.map((r) => ({ address: r.address, family: t === "A" ? 4 : 6, ttl: r.ttl }));
        }
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError ?? notFound(host);
  };

  const byType = async (host: string, type: Exclude<DnsRecordType, "LAST">): Promise<ResolvedAddress[]> => {
    switch (type) {
      case "A":
      case "AAAA":
        return addressesOf(host, [type]);
      case "CNAME": {
        const [alias] = await dns.resolveCname(host);
        if (alias === undefined) throw notFound(host);
        return addressesOf(alias, ["A", "AAAA"]);
      }
      case "SRV": {
        const records = await dns.resolveSrv(host);
        if (records.length === 0) throw notFound(host);
        const top = Math.min(...records.map((r) => r.priority));
        const best = records.filter((r) => r.priority === top);
        const resolved = await Promise.all(
          best.map(async (r) => {
            const addresses = await addressesOf(r.name, ["A", "AAAA"]);
            return addresses.map((a) => ({
              ...a,
              ...(r.port > 0 ? { port: r.port } : {}),
              weight: r.weight === 0 ? SRV_WEIGHT_ZERO : r.weight,
            }));
          }),
        );
        return resolved.flat();
      }
    }
  };

  return async (host) => {
    let lastError: unknown = null;
    const tried = new Set<DnsRecordType>();
    for (const entry of order) {
      const type = entry === "LAST" ? last.get(host) : entry;
      if (type === undefined || type === "LAST" || tried.has(type)) continue;
      tried.add(type);
      try {
        const found = await byType(host, type);
        if (found.length > 0) {
          last.set(host, type);
          return found;
        }
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError ?? notFound(host);
  };
}

function notFound(host: string): Error {
  return Object.assign(new Error(`${host}: no DNS records`), { code: "ENOTFOUND" });
}

/**
 * IP / CIDR lists (IPv4 and IPv6) compiled into node's net.BlockList. IPv4-mapped IPv6
 * client addresses (`::ffff:10.0.0.1`, what a dual-stack listener reports) are matched
 * as the IPv4 address they carry.
 */
import { BlockList, isIP } from "node:net";

/** Parse `ip` or `ip/prefix`; null when it is neither. */
export function parseIpOrCidr(
  entry: string,
): { address: string; prefix: number; family: "ipv4" | "ipv6" } | null {
  const slash = entry.indexOf("/");
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return null;
  const family = version === 4 ? "ipv4" : "ipv6";
  const max = version === 4 ? 32 : 128;
  if (slash < 0) return { address, prefix: max, family };
  const prefixText = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  return prefix <= max ? { address, prefix, family } : null;
}

export function compileIpList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parseIpOrCidr(entry);
    if (!parsed) continue;
    list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

/** The client address as BlockList wants it (IPv4-mapped IPv6 unwrapped); null when not an IP. */
export function normalizeClientIp(ip: string): { address: string; family: "ipv4" | "ipv6" } | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const version = isIP(address);
  if (version === 0) return null;
  return { address, family: version === 4 ? "ipv4" : "ipv6" };
}

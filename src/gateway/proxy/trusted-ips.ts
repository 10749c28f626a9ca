import { BlockList, isIP } from "node:net";

/**
 * Kong's `trusted_ips`: addresses and CIDRs (IPv4 and IPv6) whose X-Forwarded-* / X-Real-IP
 * values the gateway believes. `0.0.0.0/0` and `::/0` trust everyone; `unix:` is accepted
 * and ignored (there are no unix-socket listeners here).
 */
export class TrustedIps {
  private readonly list = new BlockList();
  private readonly any: boolean;
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    let count = 0;
    let any = false;
    for (const raw of entries) {
      const entry = raw.trim();
      if (entry === "" || entry === "unix:") continue;
      const [addr = "", bitsText] = entry.split("/");
      const family = isIP(addr);
      if (family === 0) throw new Error(`invalid trusted IP or CIDR: "${entry}"`);
      const type = family === 4 ? "ipv4" : "ipv6";
      if (bitsText === undefined) {
        this.list.addAddress(addr, type);
      } else {
        const bits = Number(bitsText);
        const max = family === 4 ? 32 : 128;
        if (!/^\d+$/.test(bitsText) || bits > max) throw new Error(`invalid CIDR prefix in "${entry}"`);
        if (bits === 0) any = true;
        this.list.addSubnet(addr, bits, type);
      }
      count++;
    }
    this.any = any;
    this.empty = count === 0;
  }

  has(address: string): boolean {
    if (this.empty) return false;
    if (this.any) return true;
    const family = isIP(address);
    if (family === 0) return false;
    return this.list.check(address, family === 4 ? "ipv4" : "ipv6");
  }
}

/** `::ffff:10.0.0.1` → `10.0.0.1` (dual-stack sockets report IPv4 peers mapped). */
export function normalizeIp(address: string | undefined): string {
  if (address === undefined) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** Strip a port (`1.2.3.4:5`, `[::1]:5`) from an X-Forwarded-For element. */
function stripPort(value: string): string {
  const v = value.trim();
  if (v.startsWith("[")) {
    const end = v.indexOf("]");
    return end > 0 ? v.slice(1, end) : v;
  }
  const colon = v.indexOf(":");
  if (colon > 0 && colon === v.lastIndexOf(":")) return v.slice(0, colon);
  return v;
}

/**
 * The client address: the peer unless it is trusted; then X-Real-IP (Kong's default
 * real_ip_header), else the right-most untrusted X-Forwarded-For element (nginx
 * real_ip_recursive), else the peer.
 */
export function resolveClientIp(
  peer: string,
  trusted: TrustedIps,
  realIp: string | string[] | undefined,
  forwardedFor: string | string[] | undefined,
): string {
  if (trusted.empty || !trusted.has(peer)) return peer;
  if (typeof realIp === "string" && realIp !== "") {
    const candidate = stripPort(realIp);
    if (isIP(candidate) !== 0) return candidate;
  }
  if (forwardedFor !== undefined) {
    const parts = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor).split(",");
    for (let i = parts.length - 1; i >= 0; i--) {
      const candidate = stripPort(parts[i] ?? "");
      if (isIP(candidate) === 0) break;
      if (!trusted.has(candidate)) return candidate;
      if (i === 0) return candidate;
    }
  }
  return peer;
}

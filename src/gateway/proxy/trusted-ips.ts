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

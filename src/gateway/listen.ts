/** A listener address; `null` turns the listener off. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parse a listen setting: `host:port`, `[v6]:port`, `:port`, or Kong's forms
 * (`0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl`, `off`). The first entry
 * without `ssl` is used (TLS terminates at Caddy in front); flags are ignored.
 */
export function parseListen(value: string, what = "listen"): ListenAddress | null {
  const trimmed = value.trim();
  if (trimmed === "" || trimmed.toLowerCase() === "off") return null;
  const entries = trimmed.split(",").map((e) => e.trim().split(/\s+/));
  const plain = entries.find((words) => !words.slice(1).includes("ssl")) ?? null;
  if (plain === null)
    throw new Error(`${what}: only TLS listeners given ("${value}"); TLS is terminated by Caddy`);
  const addr = plain[0] ?? "";
  let host: string;
  let portText: string;
  if (addr.startsWith("[")) {
    const end = addr.indexOf("]");
    host = addr.slice(1, end);
    portText = addr.slice(end + 2);
  } else {
    const colon = addr.lastIndexOf(":");
    if (colon < 0) {
      host = "0.0.0.0";
      portText = addr;
    } else {
      host = addr.slice(0, colon) || "0.0.0.0";
      portText = addr.slice(colon + 1);
    }
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`${what}: invalid port in "${value}"`);
  return { host, port };
}

/** Is this address only reachable from this machine? */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || h.startsWith("127.") || h === "::ffff:127.0.0.1";
}

export function formatListen(addr: ListenAddress): string {
  return addr.host.includes(":") ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

/**
 * Who listens on a host TCP port: read from /proc/net/tcp{,6} (LISTEN sockets) and the socket
 * inodes in /proc/<pid>/fd. Linux only; elsewhere (or without permission) the owner is unknown.
 */
import { readdir, readFile, readlink } from "node:fs/promises";

export interface Listener {
  address: string;
  port: number;
  inode: string;
}

export interface PortOwner {
  pid?: number;
  /** The process's command line, or "" when it cannot be read. */
  command: string;
}

function hexToIpv4(hex: string): string {
  const b = Buffer.from(hex, "hex");
  return [b[3], b[2], b[1], b[0]].join(".");
}

function hexToIpv6(hex: string): string {
  // Four 32-bit words, each in host (little-endian) order.
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = hex.slice(i, i + 8);
    words.push((w.toLowerCase().match(/../g) ?? []).reverse().join(""));
  }
  const groups = (words.join("").match(/..../g) ?? []).map((g) => g.replace(/^0+(?=.)/, ""));
  const ip = groups.join(":");
  if (ip === "0:0:0:0:0:0:0:0") return "::";
  const mapped = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(ip);
  if (mapped) {
    const n = (Number.parseInt(mapped[1] as string, 16) << 16) | Number.parseInt(mapped[2] as string, 16);
    return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
  }
  if (ip === "0:0:0:0:0:0:0:1") return "::1";
  return ip;
}

/** Parses /proc/net/tcp or tcp6 text into LISTEN sockets. */
export function parseProcNetTcp(text: string, v6: boolean): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== "0A") continue;
    const [addrHex, portHex] = (f[1] as string).split(":");
    out.push({
      address: v6 ? hexToIpv6(addrHex as string) : hexToIpv4(addrHex as string),
      port: Number.parseInt(portHex as string, 16),
      inode: f[9] as string,
    });
  }
  return out;
}

export async function listListeners(): Promise<Listener[]> {
  const out: Listener[] = [];
  for (const [file, v6] of [
    ["/proc/net/tcp", false],
    ["/proc/net/tcp6", true],
  ] as const) {
    try {
      out.push(...parseProcNetTcp(await readFile(file, "utf8"), v6));
    } catch {
      // No procfs (not Linux) or no IPv6: nothing to report.
    }
  }
  return out;
}

const WILDCARDS = new Set(["0.0.0.0", "::", ""]);

/** A listener on `address` blocks a bind on `wanted` (same port) when either is a wildcard or they match. */
export function addressesOverlap(wanted: string, address: string): boolean {
  return WILDCARDS.has(wanted) || WILDCARDS.has(address) || wanted === address;
}

/** The process holding a socket inode (needs permission to read other users' /proc/<pid>/fd). */
export async function socketOwner(inode: string): Promise<PortOwner> {
  const target = `socket:[${inode}]`;
  let pids: string[] = [];
  try {
    pids = (await readdir("/proc")).filter((p) => /^\d+$/.test(p));
  } catch {
    return { command: "" };
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if ((await readlink(`/proc/${pid}/fd/${fd}`)) !== target) continue;
      } catch {
        continue;
      }
      let command = "";
      try {
        command = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean).join(" ");
      } catch {
        // The process may have exited meanwhile.
      }
      return { pid: Number(pid), command };
    }
  }
  return { command: "" };
}

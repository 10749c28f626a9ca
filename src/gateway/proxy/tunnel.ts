import type { Duplex } from "node:stream";
import type { ResponseHead } from "../plugins/types.js";
import { appendVia } from "./constants.js";

/**
 * WebSocket tunnelling (Caddy's streaming.go): once the upstream answered `101`, the client's
 * socket and the upstream's are spliced together until either side ends. Routing, plugins and
 * errors before the 101 are the exchange's; this module only speaks the switch and the splice.
 */

/**
 * The header fields of an upstream `101` as the client gets them: all of them (its
 * Connection/Upgrade fields are what the client asked for), the gateway's Via appended.
 */
export function switchingProtocolsFields(raw: readonly (Buffer | string)[] | null): string[] {
  const list: string[] = [];
  let via: string | undefined;
  const fields = raw ?? [];
  for (let i = 0; i < fields.length; i += 2) {
    const name = String(fields[i]);
    const value = String(fields[i + 1]);
    if (name.toLowerCase() === "via") via = value;
    else list.push(name, value);
  }
  list.push("via", appendVia(via));
  return list;
}

/**
 * Write the final `101` head to the client, hand the upstream what the client sent after its
 * request head (`early`), and pipe both ways. `closed` runs once, when either side closes or
 * fails (both sockets are destroyed then).
 */
export function openTunnel(
  client: Duplex,
  upstream: Duplex,
  head: ResponseHead,
  early: Buffer,
  closed: () => void,
): void {
  let text = `HTTP/1.1 ${head.status} Switching Protocols\r\n`;
  for (const k in head.headers) {
    const v = head.headers[k]!;
    for (const one of Array.isArray(v) ? v : [v]) text += `${k}: ${one}\r\n`;
  }
  client.write(`${text}\r\n`);
  if (early.length > 0) upstream.write(early);
  let closes = 0;
  const close = () => {
    client.destroy();
    upstream.destroy();
    if (++closes === 1) closed();
  };
  upstream.on("error", close);
  client.on("error", close);
  upstream.on("close", close);
  client.on("close", close);
  upstream.pipe(client);
  client.pipe(upstream);
}

import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";

/** Is this the one upgrade the gateway tunnels? Kong forwards `Upgrade: websocket` only. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return typeof upgrade === "string" && upgrade.toLowerCase() === "websocket";
}

/** Marks a socket handed back to the HTTP server, so its connection is not counted twice. */
export const REPLAYED = Symbol("replayedConnection");
type ReplayedSocket = Socket & { [REPLAYED]?: true };

export function isReplayedConnection(socket: Socket): boolean {
  return (socket as ReplayedSocket)[REPLAYED] === true;
}

/**
 * Node hands every request with `Connection: upgrade` to the `upgrade` listener, its body
 * unparsed. For an upgrade the gateway does not tunnel, the request head is written again
 * without `Upgrade` and without the `upgrade` token of `Connection`, put back in front of what
 * the client sent after it, and the socket is given back to the HTTP server: its parser then
 * reads the request (body framing included) as the plain HTTP/1.1 request it also is, and it
 * goes through the router and plugins like any other. Names, values and order are kept as
 * received (the parser already validated them).
 */
export function replayWithoutUpgrade(
  server: Server,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): void {
  let text = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === "upgrade") continue;
    let value = raw[i + 1]!;
    if (lower === "connection") {
      value = value
        .split(",")
        .map((token) => token.trim())
        .filter((token) => token !== "" && token.toLowerCase() !== "upgrade")
        .join(", ");
      if (value === "") continue;
    }
    text += `${name}: ${value}\r\n`;
  }
  const replayed = Buffer.from(`${text}\r\n`, "latin1");
  socket.unshift(head.length === 0 ? replayed : Buffer.concat([replayed, head]));
  (socket as ReplayedSocket)[REPLAYED] = true;
  server.emit("connection", socket);
}

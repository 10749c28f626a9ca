/**
 * Real log receivers on 127.0.0.1 random ports for the socket logging plugins (tcp-log,
 * udp-log, syslog, statsd): a TCP server collecting newline-terminated lines (plain or TLS),
 * and a UDP socket collecting datagrams.
 */
import { createSocket } from "node:dgram";
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";

export interface LineReceiver {
  port: number;
  lines: string[];
  /** connections accepted so far */
  connections: number;
  /** TLS: the SNI names clients sent */
  servernames: Array<string | false | null>;
  close(): Promise<void>;
}

export async function startLineReceiver(tls?: { key: Buffer; cert: Buffer }): Promise<LineReceiver> {
  const sockets = new Set<Socket>();
  const receiver: LineReceiver = {
    port: 0,
    lines: [],
    connections: 0,
    servernames: [],
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const onSocket = (socket: Socket & { servername?: string | false | null }) => {
    receiver.connections++;
    if (tls) receiver.servernames.push(socket.servername ?? false);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffered = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      let nl = buffered.indexOf("\n");
      while (nl !== -1) {
        receiver.lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf("\n");
      }
    });
  };
  const server: Server = tls
    ? createTlsServer({ key: tls.key, cert: tls.cert }, onSocket)
    : createNetServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.port = (server.address() as AddressInfo).port;
  return receiver;
}

export interface DatagramReceiver {
  port: number;
  datagrams: string[];
  close(): Promise<void>;
}

export async function startDatagramReceiver(): Promise<DatagramReceiver> {
  const socket = createSocket("udp4");
  const receiver: DatagramReceiver = {
    port: 0,
    datagrams: [],
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on("message", (msg) => receiver.datagrams.push(msg.toString("utf8")));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  receiver.port = socket.address().port;
  return receiver;
}

/** Resolve with what `what` returns once it is truthy (polling), or fail after `timeoutMs`. */
export async function waitFor<T>(what: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = what();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

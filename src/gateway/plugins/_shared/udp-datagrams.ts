/**
 * One UDP socket per plugin instance that datagrams are sent from without blocking a request
 * (udp-log, syslog over UDP, statsd): `send` hands the datagram to the kernel asynchronously
 * and returns; a name is resolved by the system resolver off the request path. Send errors
 * (unreachable port, unresolvable host) are logged, throttled, never thrown. Datagrams handed
 * over while earlier sends are still in flight are bounded (MAX_IN_FLIGHT), beyond which new
 * ones are dropped.
 */
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { GatewayLogger } from "../types.js";

const MAX_IN_FLIGHT = 10_000;
const WARN_EVERY_MS = 5000;

export class UdpDatagrams {
  private socket: Socket | null = null;
  private inFlight = 0;
  private lastWarn = 0;
  private closed = false;
  /** datagrams not sent (errors, too many in flight) */
  dropped = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    /** the plugin, for log messages */
    private readonly name: string,
    private readonly logger: GatewayLogger,
  ) {}

  /** Send one datagram; never blocks, never throws. */
  send(data: string | Buffer): void {
    if (this.closed) return;
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.problem("too many datagrams waiting to be sent, dropped");
      return;
    }
    const socket = this.open();
    this.inFlight++;
    socket.send(data, this.port, this.host, (err) => {
      this.inFlight--;
      if (err) this.problem(`could not send data to ${this.host}:${this.port}: ${err.message}`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private open(): Socket {
    if (this.socket === null) {
      const socket = createSocket(isIPv6(this.host) ? "udp6" : "udp4");
      socket.on("error", (err) => this.problem(`socket error: ${err.message}`));
      socket.unref();
      this.socket = socket;
    }
    return this.socket;
  }

  private problem(message: string): void {
    this.dropped++;
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    this.logger.error(`${this.name}: ${message}`, { dropped: this.dropped });
  }
}

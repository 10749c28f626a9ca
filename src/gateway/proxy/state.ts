import type { GatewayLogger } from "../plugins/types.js";
import type { GatewaySnapshot } from "../snapshot.js";
import type { UpstreamPools } from "../transport/dispatch.js";
import type { AccessLogWriter, AccessObserver } from "./access-log.js";
import type { ClientBodyGuard } from "./client-body-guard.js";
import type { RealIp } from "./real-ip.js";

/** What the proxy listener needs from the running gateway. */
export interface ProxyState {
  /** the snapshot new requests start on (null until a config is loaded) */
  readonly current: GatewaySnapshot | null;
  /** trusted_ips, real_ip_header, real_ip_recursive: who the client is */
  readonly realIp: RealIp;
  /** client_body_timeout and the minimum body rate */
  readonly bodyGuard: ClientBodyGuard;
  readonly pools: UpstreamPools;
  readonly logger: GatewayLogger;
  readonly accessLog: AccessLogWriter | null;
  /** told each finished request's access-log fields (the gateway manager, when it listens) */
  readonly accessObserver: AccessObserver | null;
  /** called when a request arrives */
  begin(): void;
  /** called once when a request ends, with the snapshot it ran on (drain bookkeeping) */
  release(snapshot: GatewaySnapshot | null): void;
}

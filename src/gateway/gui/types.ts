/** What the manager's server reads from the running gateway (server.ts fills it in). */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { GatewayLogger, PluginDefinition, UpstreamTargetHealth } from "../plugins/types.js";
import type { GatewaySnapshot } from "../snapshot.js";
import type { GatewayMode } from "./contract.js";

export type { GatewayMode };

export const READ_ONLY_REASON =
  "DB-less mode: the configuration comes from the declarative file; edit it and reload, or run with --database postgres";

export interface GuiDeps {
  /** the admin token; unset (loopback only): no login */
  token: string | undefined;
  /** the Admin API handler the Admin listener serves (the manager hands it the token) */
  admin: (req: IncomingMessage, res: ServerResponse) => void;
  mode: GatewayMode;
  version: string;
  /** the snapshot being served */
  current(): GatewaySnapshot | null;
  configHash(): string | null;
  /** epoch ms of the gateway's start */
  startedAt: number;
  upstreamHealth(): UpstreamTargetHealth[];
  /** installed plugins */
  plugins(): readonly PluginDefinition[];
  /** the client's address (trusted_ips and real_ip_header applied) */
  clientIp(req: IncomingMessage): string;
  /** is the peer one of trusted_ips (its X-Forwarded-* believed)? */
  trustedPeer(req: IncomingMessage): boolean;
  /** dist/gui, or null when the front-end is not built */
  assetsDir(): string | null;
  logger: GatewayLogger;
}

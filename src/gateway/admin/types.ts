/**
 * What the Admin API reads and drives (implemented by the gateway server, faked in tests).
 * Every getter returns the state of the configuration being served at call time, so a
 * response never mixes two configurations.
 */

import type { DeclarativeConfigError, GatewayConfig } from "../config/types.js";
import type { MetricsExposition } from "../metrics.js";
import type {
  AdminRequest,
  AdminResponse,
  GatewayLogger,
  GatewayServerStats,
  PluginDefinition,
} from "../plugins/types.js";
import type { StoreTransaction } from "../store/postgres/store.js";
import type { EntityTimestamps } from "../store/types.js";
import type { EntityOutcome } from "./db-writes.js";

export interface AdminNodeInfo {
  node_id: string;
  /** gateway version shown in GET / */
  version: string;
  hostname: string;
}

export type ApplyResult =
  | { ok: true }
  | { ok: false; error: DeclarativeConfigError }
  /** database mode, the database unreachable: nothing written (503) */
  | { ok: false; unavailable: string };

/** Kong's `/upstreams/{name}/health` entry for one target (the balancer's report). */
export interface AdminTargetHealth {
  id: string;
  target: string;
  weight: number;
  tags: string[] | null;
  upstream: { id: string };
  health: "HEALTHY" | "UNHEALTHY" | "DNS_ERROR" | "HEALTHCHECKS_OFF";
  data: { addresses: Array<{ ip: string; port: number; weight: number; health: string }> };
}

/** Admin routes registered by plugins for the current configuration (AdminRouteTable). */
export interface AdminRouteLookup {
  match(
    method: string,
    path: string,
  ): {
    handler: (req: AdminRequest) => AdminResponse | Promise<AdminResponse>;
    params: Record<string, string>;
  } | null;
}

export interface AdminPluginInfo {
  name: string;
  version: string;
  priority: number;
}

export interface AdminState {
  readonly node: AdminNodeInfo;
  /** The configuration served now; null before one is loaded. */
  config(): GatewayConfig | null;
  /** The declarative document of that configuration as parsed (vault refs unresolved). */
  document(): Record<string, unknown> | null;
  /**
   * Validate and atomically swap in a new declarative configuration (text or parsed
   * document). On `{ ok: false }` the previous configuration keeps being served.
   */
  apply(doc: string | object): Promise<ApplyResult>;
  /** Health of the targets of an upstream (by name or id); null when there is no such upstream. */
  upstreamHealth(nameOrId: string): AdminTargetHealth[] | null;
  /** Prometheus registry rendered by GET /metrics. */
  readonly metrics: MetricsExposition;
  /** Plugin-owned admin routes of the current configuration, if any. */
  pluginRoutes(): AdminRouteLookup | null;
  /** Connection and request counters for GET /status. */
  serverStats(): GatewayServerStats;
  /** Plugins installed in this gateway (GET / "plugins.available_on_server"). */
  availablePlugins(): readonly AdminPluginInfo[];
  /** An installed plugin by name (plugin writes are checked against its config schema). */
  plugin(name: string): PluginDefinition | undefined;
  /** Database mode: entity writes, and the store's view (timestamps, reachability); absent DB-less. */
  readonly database?: AdminDatabase;
}

/** What database mode adds to the Admin API. */
export interface AdminDatabase {
  /**
   * Run one entity write in a transaction. Committed (the whole resulting state valid for the
   * declarative loader): the outcome and the configuration this gateway now serves; refused: the
   * outcome's error (nothing written); unreachable database: `unavailable`.
   */
  transact(
    write: (tx: StoreTransaction) => Promise<EntityOutcome>,
  ): Promise<{ outcome: EntityOutcome; config: GatewayConfig | null } | { unavailable: string }>;
  /** Kong's created_at / updated_at of an entity, when the store knows them */
  timestamps(id: string): EntityTimestamps | undefined;
  /** GET /status `database.reachable` */
  reachable(): boolean;
  /**
   * Serve what the database holds now, when it is newer than what is served (a write through
   * another replica whose announcement has not arrived yet), so every Admin API request reads its
   * writes and the writes committed before it — as Kong's Admin API reads the database.
   */
  catchUp(): Promise<void>;
}

export interface AdminOptions {
  /** When set, every request needs `Authorization: Bearer <token>` (or `Kong-Admin-Token`). */
  token?: string;
  /** Largest accepted request body in bytes (default 64 MiB). */
  maxBodyBytes?: number;
  /** where an unexpected failure (the 500 answer) is logged */
  logger?: GatewayLogger;
}

/**
 * The manager's wire shapes: what its server answers and its front-end (gui/src, `import type`)
 * reads. This module imports nothing, so the front-end's typecheck (DOM libs, no Node types) takes
 * this one file of the server and none of the gateway behind it.
 */

export type GatewayMode = "db-less" | "postgres";

/** `GET /session`: who the browser is to the manager, and whether the pages may write. */
export interface SessionInfo {
  authenticated: boolean;
  loginRequired: boolean;
  csrfToken: string | null;
  mode: GatewayMode;
  readOnly: boolean;
  readOnlyReason: string | null;
  version: string;
}

/** `GET /gui-api/overview`. */
export interface Overview {
  version: string;
  mode: GatewayMode;
  configHash: string | null;
  uptimeSeconds: number;
  requests: { total: number; perSecond: number; errorRate: number };
  latencyMs: { p50: number; p90: number; p99: number };
  windowSeconds: number;
  upstreamHealth: { healthy: number; unhealthy: number };
}

export interface ApplyingPlugin {
  id: string;
  name: string;
  priority: number;
  scope: string;
  enabled: boolean;
  /** set for an entry that applies only to requests of this consumer */
  consumer?: { id: string; username: string | null };
}

/** `GET /gui-api/plugins-applying?route=<id|name>`. */
export interface PluginsApplying {
  route: { id: string; name: string | null };
  service: { id: string; name: string | null } | null;
  plugins: ApplyingPlugin[];
}

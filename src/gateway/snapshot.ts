import type { AdminRouteTable } from "./admin-routes.js";
import type { BalancerSet } from "./balancer/index.js";
import type { GatewayConfig } from "./config/types.js";
import type { SnapshotCredentials } from "./credentials.js";
import type { PluginSet } from "./proxy/pipeline.js";
import type { Router } from "./router/types.js";

/**
 * Everything one loaded configuration needs at request time, built off to the side and
 * swapped in with a single reference assignment. Requests hold the snapshot they started
 * on; an old snapshot is closed (health checkers, plugin handlers) once its requests drain.
 */
export interface GatewaySnapshot {
  readonly config: GatewayConfig;
  readonly router: Router;
  readonly plugins: PluginSet;
  readonly balancers: BalancerSet;
  readonly credentials: SnapshotCredentials;
  readonly adminRoutes: AdminRouteTable;
  /** epoch ms */
  readonly loadedAt: number;
  /** requests currently running on this snapshot */
  inflight: number;
}

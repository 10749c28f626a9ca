/** `GET /gui-api/overview`: what the manager's first page shows. */
import type { Overview } from "./contract.js";
import type { StatsWindow } from "./stats-window.js";
import { WINDOW_SECONDS } from "./stats-window.js";
import type { GuiDeps } from "./types.js";

export function overview(deps: GuiDeps, stats: StatsWindow): Overview {
  const s = stats.read();
  let healthy = 0;
  let unhealthy = 0;
  // a target without health checks is counted healthy: the balancer uses it
  for (const t of deps.upstreamHealth()) {
    if (t.state === "healthy" || t.state === "healthchecks_off") healthy++;
    else unhealthy++;
  }
  return {
    version: deps.version,
    mode: deps.mode,
    configHash: deps.configHash(),
    uptimeSeconds: Math.floor((Date.now() - deps.startedAt) / 1000),
    requests: { total: s.total, perSecond: s.perSecond, errorRate: s.errorRate },
    latencyMs: s.latencyMs,
    windowSeconds: WINDOW_SECONDS,
    upstreamHealth: { healthy, unhealthy },
  };
}

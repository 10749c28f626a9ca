import type { LayerOutcome } from "./checks/context.js";
import { worst } from "./checks/context.js";
import { LAYER_NAMES, type LayerReport, type OverallStatus } from "./report.js";

/**
 * Overall status and exit code from the layers:
 *  - down (2): the chain Client → Caddy → gateway → app does not serve — the site's main
 *    port does not answer, no gateway replica is ready, or no app answers through the chain;
 *  - degraded (1): the chain serves, but some check fails (a replica down, an addon broken,
 *    a stale config, an expired certificate…);
 *  - healthy (0): every check ok or warn (warnings are shown, they do not fail the stack).
 */
export function aggregate(outcomes: LayerOutcome[]): {
  layers: LayerReport[];
  status: OverallStatus;
  exitCode: 0 | 1 | 2;
} {
  const layers = [...outcomes]
    .sort((a, b) => LAYER_NAMES.indexOf(a.layer) - LAYER_NAMES.indexOf(b.layer))
    .map((o) => ({ name: o.layer, status: worst(o.checks.map((c) => c.status)), checks: o.checks }));
  if (outcomes.some((o) => o.serves === false)) return { layers, status: "down", exitCode: 2 };
  if (layers.some((l) => l.status === "fail")) return { layers, status: "degraded", exitCode: 1 };
  return { layers, status: "healthy", exitCode: 0 };
}

import type { CheckStatus, HealthReport, LayerName, OverallStatus, TraceHops } from "../report.js";

/** Shared vocabulary of the report renderers (table, Markdown, HTML). */

export const STATUS_MARK: Record<CheckStatus, string> = { ok: "✓", warn: "!", fail: "✗" };

export const LAYER_TITLE: Record<LayerName, string> = {
  containers: "Containers",
  edge: "Edge (Caddy)",
  gateway: "Gateway",
  services: "Services",
  addons: "Addons",
  trace: "End-to-end trace",
};

export const OVERALL_WORD: Record<OverallStatus, string> = {
  healthy: "healthy",
  degraded: "degraded",
  down: "down",
};

export function formatLatency(ms: number | null): string {
  if (ms === null) return "";
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** One line summary: "shop: degraded (exit 1) — 2 failing, 1 warning — 812 ms". */
export function summaryLine(report: HealthReport): string {
  const checks = report.layers.flatMap((l) => l.checks);
  const fails = checks.filter((c) => c.status === "fail").length;
  const warns = checks.filter((c) => c.status === "warn").length;
  const counts = [
    `${checks.length} checks`,
    ...(fails ? [`${fails} failing`] : []),
    ...(warns ? [`${warns} warning${warns === 1 ? "" : "s"}`] : []),
  ].join(", ");
  return `${report.stack}: ${OVERALL_WORD[report.status]} (exit ${report.exitCode}) — ${counts} — ${formatLatency(report.durationMs)}`;
}

export interface HopSegment {
  name: "edge" | "gateway" | "upstream";
  ms: number;
}

/** The measured hops, in order, skipping unknown ones. */
export function hopSegments(hops: TraceHops): HopSegment[] {
  const out: HopSegment[] = [];
  if (hops.edgeMs !== null) out.push({ name: "edge", ms: hops.edgeMs });
  if (hops.gatewayMs !== null) out.push({ name: "gateway", ms: hops.gatewayMs });
  if (hops.upstreamMs !== null) out.push({ name: "upstream", ms: hops.upstreamMs });
  return out;
}

/** The layers whose status is fail (for headlines: "down: gateway, services"). */
export function failingLayers(report: HealthReport): LayerName[] {
  return report.layers.filter((l) => l.status === "fail").map((l) => l.name);
}

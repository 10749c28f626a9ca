import type { CheckResult, CheckStatus, HealthReport, OverallStatus } from "../report.js";
import {
  failingLayers,
  formatLatency,
  hopSegments,
  LAYER_TITLE,
  STATUS_MARK,
  summaryLine,
} from "./common.js";

/**
 * The default terminal report: a table per layer with ✓ / ! / ✗, the reason and what to try
 * under each problem, then the trace with its hops as a bar. Colour only when asked (TTY).
 */

export interface TableOptions {
  color: boolean;
  /** Terminal width for the hop bar (default 80). */
  width?: number;
}

const ANSI = {
  reset: "\u001b[0m",
  bold: "\u001b[1m",
  dim: "\u001b[2m",
  red: "\u001b[31m",
  green: "\u001b[32m",
  yellow: "\u001b[33m",
  blue: "\u001b[34m",
  magenta: "\u001b[35m",
  cyan: "\u001b[36m",
};

export type Paint = (code: keyof typeof ANSI, text: string) => string;

export const STATUS_COLOR: Record<CheckStatus, keyof typeof ANSI> = {
  ok: "green",
  warn: "yellow",
  fail: "red",
};
const OVERALL_COLOR: Record<OverallStatus, keyof typeof ANSI> = {
  healthy: "green",
  degraded: "yellow",
  down: "red",
};

export function makePaint(color: boolean): Paint {
  return color ? (code, text) => `${ANSI[code]}${text}${ANSI.reset}` : (_code, text) => text;
}

/** A titled group of checks (a health layer, a doctor section). */
export interface CheckGroup {
  title: string;
  status: CheckStatus;
  checks: ReadonlyArray<Pick<CheckResult, "name" | "status" | "detail" | "latencyMs" | "reason" | "hint">>;
}

/** Each group under its title, a line per check with ✓ / ! / ✗, its why: and try: lines under it. */
export function checkGroupLines(groups: readonly CheckGroup[], paint: Paint): string[] {
  const lines: string[] = [];
  const nameWidth = Math.max(10, ...groups.flatMap((g) => g.checks.map((c) => c.name.length)));
  for (const group of groups) {
    lines.push("");
    lines.push(
      `${paint(STATUS_COLOR[group.status], STATUS_MARK[group.status])} ${paint("bold", group.title)}`,
    );
    for (const c of group.checks) {
      const latency = formatLatency(c.latencyMs);
      lines.push(
        `  ${paint(STATUS_COLOR[c.status], STATUS_MARK[c.status])} ${c.name.padEnd(nameWidth)}  ${c.detail}${latency ? `  ${paint("dim", latency)}` : ""}`,
      );
      const indent = " ".repeat(nameWidth + 6);
      if (c.reason) lines.push(`${indent}${paint(STATUS_COLOR[c.status], "why:")} ${c.reason}`);
      if (c.hint) lines.push(`${indent}${paint("cyan", "try:")} ${c.hint}`);
    }
  }
  return lines;
}

export function renderTable(report: HealthReport, opts: TableOptions): string {
  const paint = makePaint(opts.color);
  const lines: string[] = [];
  const failing = failingLayers(report);
  lines.push(
    `${paint("bold", "stack health")} ${paint(OVERALL_COLOR[report.status], paint("bold", summaryLine(report)))}`,
  );
  if (failing.length > 0) lines.push(`failing layers: ${failing.map((l) => LAYER_TITLE[l]).join(", ")}`);
  lines.push(
    ...checkGroupLines(
      report.layers.map((l) => ({ title: LAYER_TITLE[l.name], status: l.status, checks: l.checks })),
      paint,
    ),
  );
  if (report.trace) {
    const t = report.trace;
    lines.push("");
    lines.push(paint("bold", "Trace"));
    lines.push(`  request id  ${t.requestId}`);
    lines.push(
      `  seen at     gateway ${seen(t.requestId, t.seenAt.gateway)}   app ${seen(t.requestId, t.seenAt.app)}`,
    );
    const bar = hopBar(t.hops.totalMs, hopSegments(t.hops), Math.max(20, (opts.width ?? 80) - 16), paint);
    if (bar) lines.push(`  hops        ${bar}`);
    const legend = hopSegments(t.hops)
      .map((s) => `${s.name} ${formatLatency(s.ms)}`)
      .concat(t.hops.totalMs !== null ? [`total ${formatLatency(t.hops.totalMs)}`] : [])
      .join(" · ");
    if (legend) lines.push(`              ${legend}`);
  }
  return `${lines.join("\n")}\n`;
}

function seen(expected: string, got: string | null): string {
  if (got === null) return "not seen";
  return got === expected ? "✓ same id" : `≠ ${got}`;
}

const HOP_COLOR = { edge: "blue", gateway: "magenta", upstream: "cyan" } as const;
const HOP_CHAR = { edge: "▒", gateway: "▓", upstream: "█" } as const;

function hopBar(
  total: number | null,
  segments: ReturnType<typeof hopSegments>,
  width: number,
  paint: Paint,
): string {
  const sum = segments.reduce((a, s) => a + s.ms, 0);
  const scale = Math.max(total ?? 0, sum);
  if (segments.length === 0 || scale <= 0) return "";
  return segments
    .map((s) =>
      paint(HOP_COLOR[s.name], HOP_CHAR[s.name].repeat(Math.max(1, Math.round((s.ms / scale) * width)))),
    )
    .join("");
}

/** The `stack doctor` terminal report: the health table's layout, a group per section. */
import { formatLatency } from "../render/common.js";
import { checkGroupLines, makePaint, STATUS_COLOR } from "../render/table.js";
import type { DoctorReport, DoctorSection } from "./report.js";

export const SECTION_TITLE: Record<DoctorSection, string> = {
  engine: "Docker engine",
  compose: "Compose CLI",
  ports: "Ports",
  memory: "Memory",
  kernel: "Kernel",
  images: "Images",
  git: "Git (Jenkins)",
};

const VERDICT = { ok: "ready for stack up", warn: "ready, with warnings", fail: "not ready" } as const;

/** "shop: not ready (exit 2) — 12 checks, 1 failing — 230 ms" */
export function doctorSummary(report: DoctorReport): string {
  const checks = report.sections.flatMap((s) => s.checks);
  const fails = checks.filter((c) => c.status === "fail").length;
  const warns = checks.filter((c) => c.status === "warn").length;
  const counts = [
    `${checks.length} checks`,
    ...(fails ? [`${fails} failing`] : []),
    ...(warns ? [`${warns} warning${warns === 1 ? "" : "s"}`] : []),
  ].join(", ");
  return `${report.stack}: ${VERDICT[report.status]} (exit ${report.exitCode}) — ${counts} — ${formatLatency(report.durationMs)}`;
}

export function renderDoctor(report: DoctorReport, opts: { color: boolean }): string {
  const paint = makePaint(opts.color);
  const lines = [
    `${paint("bold", "stack doctor")} ${paint(STATUS_COLOR[report.status], paint("bold", doctorSummary(report)))}`,
  ];
  lines.push(
    ...checkGroupLines(
      report.sections.map((s) => ({ title: SECTION_TITLE[s.name], status: s.status, checks: s.checks })),
      paint,
    ),
  );
  return `${lines.join("\n")}\n`;
}

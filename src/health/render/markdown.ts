import type { HealthReport } from "../report.js";
import { formatLatency, hopSegments, LAYER_TITLE, OVERALL_WORD, STATUS_MARK, summaryLine } from "./common.js";

/**
 * A shareable Markdown report (GitHub-flavoured tables). Every dynamic value goes through
 * mdText: no HTML, no table breakage, no accidental formatting.
 */
export function renderMarkdown(report: HealthReport): string {
  const out: string[] = [];
  out.push(
    `# Health of \`${mdCode(report.stack)}\`: ${OVERALL_WORD[report.status]} (exit ${report.exitCode})`,
  );
  out.push("");
  out.push(`${mdText(summaryLine(report))}. Generated ${mdText(report.generatedAt)}.`);
  for (const layer of report.layers) {
    out.push("");
    out.push(`## ${STATUS_MARK[layer.status]} ${LAYER_TITLE[layer.name]}`);
    out.push("");
    out.push("| | Check | Detail | Latency |");
    out.push("|---|---|---|---:|");
    for (const c of layer.checks) {
      out.push(
        `| ${STATUS_MARK[c.status]} | ${mdText(c.name)} | ${mdText(c.detail)} | ${formatLatency(c.latencyMs)} |`,
      );
    }
    const problems = layer.checks.filter((c) => c.reason || c.hint);
    if (problems.length > 0) {
      out.push("");
      for (const c of problems) {
        out.push(`- **${mdText(c.name)}**${c.reason ? `: ${mdText(c.reason)}` : ""}`);
        if (c.hint) out.push(`  - try: ${mdText(c.hint)}`);
      }
    }
  }
  if (report.trace) {
    const t = report.trace;
    out.push("");
    out.push("## Trace");
    out.push("");
    out.push(
      `- request id: \`${mdCode(t.requestId)}\` to ${mdText(t.url)}${t.httpStatus !== null ? ` → ${t.httpStatus}` : ""}`,
    );
    out.push(
      `- seen at the gateway: ${t.seenAt.gateway === null ? "not seen" : `\`${mdCode(t.seenAt.gateway)}\``}`,
    );
    out.push(`- seen at the app: ${t.seenAt.app === null ? "not seen" : `\`${mdCode(t.seenAt.app)}\``}`);
    const segments = hopSegments(t.hops);
    if (segments.length > 0 || t.hops.totalMs !== null) {
      out.push("");
      out.push("| Hop | Time |");
      out.push("|---|---:|");
      for (const s of segments) out.push(`| ${s.name} | ${formatLatency(s.ms)} |`);
      if (t.hops.totalMs !== null) out.push(`| **total** | **${formatLatency(t.hops.totalMs)}** |`);
    }
  }
  return `${out.join("\n")}\n`;
}

/** Escape text for a Markdown table cell / paragraph: HTML, pipes, emphasis, links, newlines. */
export function mdText(s: string): string {
  return s
    .replace(/\r?\n/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]|#])/g, "\\$1");
}

/** Text inside an inline code span: backticks cannot be escaped there, so replace them. */
function mdCode(s: string): string {
  return s.replace(/`/g, "'").replace(/\r?\n/g, " ");
}

import type { CheckStatus, HealthReport, OverallStatus, TraceReport } from "../report.js";
import { formatLatency, hopSegments, LAYER_TITLE, OVERALL_WORD, STATUS_MARK, summaryLine } from "./common.js";

/**
 * A self-contained HTML report: inline CSS, an inline SVG for the per-hop latency bar, no
 * scripts, no external assets (fonts, images, stylesheets). Every dynamic value is escaped.
 */
export function renderHtml(report: HealthReport): string {
  const title = `Health of ${report.stack}: ${OVERALL_WORD[report.status]}`;
  const layers = report.layers
    .map(
      (layer) => `
<section class="layer">
  <h2><span class="mark ${layer.status}">${STATUS_MARK[layer.status]}</span> ${esc(LAYER_TITLE[layer.name])}</h2>
  <table>
    <thead><tr><th></th><th>Check</th><th>Detail</th><th class="num">Latency</th></tr></thead>
    <tbody>${layer.checks
      .map(
        (c) => `
      <tr class="${c.status}">
        <td><span class="mark ${c.status}" title="${c.status}">${STATUS_MARK[c.status]}</span></td>
        <td class="name">${esc(c.name)}</td>
        <td>${esc(c.detail)}${c.reason ? `<div class="why"><b>Why:</b> ${esc(c.reason)}</div>` : ""}${c.hint ? `<div class="try"><b>Try:</b> ${esc(c.hint)}</div>` : ""}</td>
        <td class="num">${esc(formatLatency(c.latencyMs))}</td>
      </tr>`,
      )
      .join("")}
    </tbody>
  </table>
</section>`,
    )
    .join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="${report.status}">
  <h1>${esc(title)}</h1>
  <p>${esc(summaryLine(report))}</p>
  <p class="meta">Generated ${esc(report.generatedAt)} · schema v${report.schemaVersion} · exit code ${report.exitCode}</p>
</header>
<main>
${report.trace ? traceSection(report.trace) : ""}
${layers}
</main>
</body>
</html>
`;
}

const HOP_FILL = { edge: "#4c78a8", gateway: "#b279a2", upstream: "#54a24b" } as const;

function traceSection(t: TraceReport): string {
  const segments = hopSegments(t.hops);
  const total = Math.max(
    t.hops.totalMs ?? 0,
    segments.reduce((a, s) => a + s.ms, 0),
  );
  const width = 640;
  let x = 0;
  const rects = segments
    .map((s) => {
      const w = total > 0 ? Math.max(2, (s.ms / total) * width) : 0;
      const rect = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="28" fill="${HOP_FILL[s.name]}"><title>${esc(`${s.name}: ${formatLatency(s.ms)}`)}</title></rect>`;
      x += w;
      return rect;
    })
    .join("");
  const bar =
    segments.length > 0
      ? `<svg class="hops" role="img" aria-label="time per hop" viewBox="0 0 ${width} 28" width="100%" height="28" preserveAspectRatio="none">${rects}</svg>
  <ul class="legend">${segments
    .map(
      (s) =>
        `<li><span class="swatch" style="background:${HOP_FILL[s.name]}"></span>${esc(s.name)} ${esc(formatLatency(s.ms))}</li>`,
    )
    .join(
      "",
    )}${t.hops.totalMs !== null ? `<li><b>total ${esc(formatLatency(t.hops.totalMs))}</b></li>` : ""}</ul>`
      : `<p class="why">No per-hop timing: the request did not get a gateway response.</p>`;
  const seen = (v: string | null): string =>
    v === null
      ? `<span class="mark fail">✗</span> not seen`
      : `<span class="mark ${v === t.requestId ? "ok" : "warn"}">${v === t.requestId ? "✓" : "!"}</span> <code>${esc(v)}</code>`;
  return `
<section class="layer trace">
  <h2>Request trace</h2>
  <dl>
    <dt>Request</dt><dd><code>${esc(t.url)}</code>${t.httpStatus !== null ? ` → ${t.httpStatus}` : " → no answer"}</dd>
    <dt>X-Request-ID</dt><dd><code>${esc(t.requestId)}</code></dd>
    <dt>Seen at gateway</dt><dd>${seen(t.seenAt.gateway)}</dd>
    <dt>Seen at app</dt><dd>${seen(t.seenAt.app)}</dd>
  </dl>
  ${bar}
</section>`;
}

/** Escape text for HTML element content and quoted attribute values. */
export function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const STATUS_COLORS: Record<CheckStatus | OverallStatus, string> = {
  ok: "#1a7f37",
  warn: "#9a6700",
  fail: "#cf222e",
  healthy: "#1a7f37",
  degraded: "#9a6700",
  down: "#cf222e",
};

const CSS = `
:root { color-scheme: light dark; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f6f8fa; color: #1f2328; }
header { padding: 1.2rem 2rem; color: #fff; }
header.healthy { background: ${STATUS_COLORS.healthy}; }
header.degraded { background: ${STATUS_COLORS.degraded}; }
header.down { background: ${STATUS_COLORS.down}; }
header h1 { margin: 0 0 .3rem; font-size: 1.5rem; }
header p { margin: .1rem 0; }
header .meta { opacity: .85; font-size: .85rem; }
main { padding: 1rem 2rem 2rem; max-width: 1100px; }
section.layer { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; margin: 1rem 0; padding: .6rem 1rem 1rem; }
h2 { font-size: 1.1rem; margin: .4rem 0 .6rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-top: 1px solid #eaeef2; }
th { font-size: .8rem; text-transform: uppercase; color: #656d76; border-top: none; }
td.name { white-space: nowrap; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9rem; }
.num { text-align: right; white-space: nowrap; color: #656d76; }
.mark { display: inline-block; width: 1.3em; text-align: center; font-weight: bold; }
.mark.ok { color: ${STATUS_COLORS.ok}; } .mark.warn { color: ${STATUS_COLORS.warn}; } .mark.fail { color: ${STATUS_COLORS.fail}; }
tr.fail td { background: #fff5f5; } tr.warn td { background: #fffbea; }
.why, .try { font-size: .9rem; margin-top: .2rem; } .why { color: #82071e; } .try { color: #0550ae; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 .8rem; }
dt { color: #656d76; } dd { margin: 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .88rem; word-break: break-all; }
svg.hops { display: block; border-radius: 4px; background: #eaeef2; }
ul.legend { list-style: none; padding: 0; margin: .5rem 0 0; display: flex; gap: 1.2rem; flex-wrap: wrap; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .35em; vertical-align: -1px; }
@media (prefers-color-scheme: dark) {
  body { background: #0d1117; color: #e6edf3; }
  section.layer { background: #161b22; border-color: #30363d; }
  th, td { border-color: #30363d; }
  tr.fail td { background: #2d1215; } tr.warn td { background: #2b2111; }
  .why { color: #ffa198; } .try { color: #79c0ff; }
  svg.hops { background: #30363d; }
}
`;

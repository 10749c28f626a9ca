import { describe, expect, it } from "vitest";
import { renderHtml } from "../../../src/health/render/html.js";
import { renderMarkdown } from "../../../src/health/render/markdown.js";
import { renderTable } from "../../../src/health/render/table.js";
import { sampleReport } from "../support/sample-report.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes
const ANSI = /\u001b\[[0-9;]*m/g;

describe("table renderer", () => {
  it("a table per layer with ✓ ! ✗, why and what to try under problems, the trace with its hops", () => {
    const out = renderTable(sampleReport(), { color: false, width: 60 });
    expect(out).not.toMatch(ANSI);
    const lines = out.split("\n");
    expect(lines[0]).toBe("stack health shop: degraded (exit 1) — 6 checks, 2 failing, 1 warning — 812 ms");
    expect(lines[1]).toBe("failing layers: Containers, Services");
    expect(out).toContain("✗ Containers");
    expect(out).toMatch(/ {2}✓ caddy-1 +running 2 h, healthy {2}3\.2 ms/);
    expect(out).toMatch(/ {2}✗ orders-1 +exited 137/);
    expect(out).toMatch(
      /why: gateway → orders: connection refused on orders:8000 \(container exited 137: OOM\)/,
    );
    expect(out).toMatch(/try: see `stack logs orders`/);
    expect(out).toMatch(/ {2}! catalog through the chain +not checked\n/);
    expect(out).toContain("request id  0b9e2c1a-7d44-4c39-9f7e-3e0f5b3c2a11");
    expect(out).toContain("seen at     gateway ✓ same id   app ✓ same id");
    expect(out).toContain("edge 2.5 ms · gateway 1.0 ms · upstream 6.0 ms · total 9.5 ms");
    const bar = lines.find((l) => l.startsWith("  hops"))!;
    // bar widths follow the hop times: upstream (6) longest, gateway (1) shortest
    const count = (ch: string) => [...bar].filter((c) => c === ch).length;
    expect(count("█")).toBeGreaterThan(count("▒"));
    expect(count("▒")).toBeGreaterThan(count("▓"));
  });

  it("colours marks and the headline on a TTY", () => {
    const out = renderTable(sampleReport(), { color: true });
    expect(out).toContain("\u001b[31m✗\u001b[0m");
    expect(out).toContain("\u001b[32m✓\u001b[0m");
    expect(out).toContain("\u001b[33m!\u001b[0m");
    expect(out.replace(ANSI, "")).toBe(renderTable(sampleReport(), { color: false }));
  });
});

describe("markdown renderer", () => {
  it("tables per layer, problems with reasons and hints, hops table; dynamic text escaped", () => {
    const md = renderMarkdown(sampleReport());
    expect(md.startsWith("# Health of `shop`: degraded (exit 1)\n")).toBe(true);
    expect(md).toContain("## ✗ Containers");
    expect(md).toContain("| ✓ | caddy-1 | running 2 h, healthy | 3.2 ms |");
    expect(md).toContain('&lt;script&gt;alert("x")&lt;/script&gt; \\| pipe');
    expect(md).not.toContain("<script>");
    expect(md).not.toContain("<b>");
    expect(md).toContain("  - try: see \\`stack logs orders\\` &amp; &lt;b&gt;bold&lt;/b&gt;");
    expect(md).toContain("| upstream | 6.0 ms |");
    expect(md).toContain("| **total** | **9.5 ms** |");
    // every check row has the 4 cells of its header (escaped pipes do not split cells)
    const rows = md.split("\n").filter((l) => /^\| [✓!✗] \|/.test(l));
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row.replace(/\\\|/g, "").split("|").length, row).toBe(6);
  });
});

describe("HTML renderer", () => {
  const html = renderHtml(sampleReport());

  it("is self-contained: no scripts, no external stylesheets, images, fonts or links", () => {
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<img\b/i);
    expect(html).not.toMatch(/\b(src|href|xlink:href)\s*=/i);
    expect(html).not.toMatch(/url\(|@import/i);
    expect(html).toContain("<style>");
    expect(html).toContain("default-src 'none'");
  });

  it("escapes every dynamic value", () => {
    expect(html).toContain("503 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; | pipe");
    expect(html).toContain("see `stack logs orders` &amp; &lt;b&gt;bold&lt;/b&gt;");
    expect(html).not.toContain("<b>bold</b>");
    const hostile = renderHtml(sampleReport({ stack: `"><svg onload=alert(1)>` }));
    expect(hostile).not.toContain("<svg onload");
    expect(hostile).toContain("&quot;&gt;&lt;svg onload=alert(1)&gt;");
  });

  it("draws the per-hop latency as an inline SVG bar proportional to the times", () => {
    const rects = [...html.matchAll(/<rect x="([\d.]+)" y="0" width="([\d.]+)"/g)].map((m) => Number(m[2]));
    expect(rects).toHaveLength(3);
    const [edge, gateway, upstream] = rects as [number, number, number];
    expect(upstream / edge).toBeCloseTo(6 / 2.5, 1);
    expect(edge / gateway).toBeCloseTo(2.5, 1);
    expect(html).toContain("<title>upstream: 6.0 ms</title>");
    expect(html).toContain("total 9.5 ms");
  });

  it("says so when the request never reached the gateway", () => {
    const none = renderHtml(
      sampleReport({
        trace: {
          requestId: "r",
          url: "https://127.0.0.1/x",
          httpStatus: null,
          seenAt: { gateway: null, app: null },
          hops: { edgeMs: null, gatewayMs: null, upstreamMs: null, totalMs: null },
        },
      }),
    );
    expect(none).toContain("No per-hop timing");
    expect(none).not.toContain("<svg");
  });
});

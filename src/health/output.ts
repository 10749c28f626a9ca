import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { GatestackError } from "../errors.js";
import { summaryLine } from "./render/common.js";
import { renderHtml } from "./render/html.js";
import { renderMarkdown } from "./render/markdown.js";
import { renderTable } from "./render/table.js";
import type { HealthReport } from "./report.js";

/** The report formats `stack health` writes. */
export type ReportFormat = "table" | "json" | "markdown" | "html";

export function renderReport(
  report: HealthReport,
  format: ReportFormat | "summary",
  opts: { color: boolean; width?: number },
): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "markdown":
      return renderMarkdown(report);
    case "html":
      return renderHtml(report);
    case "summary":
      return `${summaryLine(report)}\n`;
    default:
      return renderTable(report, { color: opts.color, ...(opts.width ? { width: opts.width } : {}) });
  }
}

/** --format wins; else the --output extension (.json/.md/.html); else JSON under --json; else the table. */
export function outputFormatFor(
  flag: string | undefined,
  output: string | undefined,
  json: boolean,
): ReportFormat {
  if (flag === "table" || flag === "json" || flag === "markdown" || flag === "html") return flag;
  const ext = output ? extname(output).toLowerCase() : "";
  if (ext === ".html" || ext === ".htm") return "html";
  if (ext === ".md" || ext === ".markdown") return "markdown";
  if (ext === ".json") return "json";
  return json && !output ? "json" : "table";
}

/** Default interval of a bare `--watch`, seconds. */
export const DEFAULT_WATCH_SECONDS = 2;

/**
 * oclif flags always take a value; `--watch` may come bare (`stack health --watch`): give it
 * the default interval. `--format json` without --output behaves as --json (errors as JSON too).
 */
export function normalizeHealthArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    out.push(arg);
    if (arg === "--watch" || arg === "-w") {
      const next = argv[i + 1];
      if (next === undefined || !/^\d+(\.\d+)?$/.test(next)) out.push(String(DEFAULT_WATCH_SECONDS));
    }
  }
  const formatJson = argv.some(
    (a, i) =>
      a === "--format=json" ||
      a === "-f=json" ||
      ((a === "--format" || a === "-f") && argv[i + 1] === "json"),
  );
  const hasOutput = argv.some((a) => a === "--output" || a === "-o" || a.startsWith("--output="));
  if (formatJson && !hasOutput && !argv.includes("--json")) out.push("--json");
  return out;
}

/** Write the report atomically (temp file + rename in the same folder). */
export async function writeReportFile(file: string, content: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, content, { mode: 0o644 });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new GatestackError("E_IO", `cannot write the report: ${(err as Error).message}`, {
      place: file,
      hint: "check that the folder exists and is writable",
      cause: err,
    });
  }
}

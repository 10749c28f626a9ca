import { formatErrorForHumans, toGatestackError } from "../cli/base-command.js";
import { type ReportFormat, renderReport, writeReportFile } from "./output.js";
import type { HealthReport } from "./report.js";

/**
 * `--watch`: produce a report every interval until Ctrl-C (SIGINT/SIGTERM). On a TTY each
 * report redraws the screen in place (cursor home, clear); otherwise reports follow each
 * other (JSON: one document per line). A failing run (Docker gone, stack stopped) is shown
 * in place of the report and the loop goes on, so a watcher sees the stack come back.
 * Resolves with the exit code of the last run.
 */
export interface WatchOptions {
  intervalMs: number;
  produce: () => Promise<HealthReport>;
  format: ReportFormat;
  color: boolean;
  tty: boolean;
  out: NodeJS.WritableStream & { columns?: number };
  /** Rewrite this file with each report instead of printing it. */
  output?: string;
  /** Stop after this many runs (tests); default: until a signal. */
  maxRuns?: number;
  /** Aborts the loop like Ctrl-C (tests). */
  signal?: AbortSignal;
}

const HOME_CLEAR = "\u001b[H\u001b[2J\u001b[3J";
const CLEAR_EOL = "\u001b[K";

export async function watchHealth(opts: WatchOptions): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  opts.signal?.addEventListener("abort", onSignal, { once: true });
  let last = 2;
  let runs = 0;
  try {
    while (!stop.signal.aborted) {
      const started = Date.now();
      let text: string;
      try {
        const report = await opts.produce();
        last = report.exitCode;
        if (opts.output) {
          await writeReportFile(opts.output, renderReport(report, opts.format, { color: false }));
          text = renderReport(report, "summary", { color: false });
        } else if (opts.format === "json") {
          text = `${JSON.stringify(report)}\n`;
        } else {
          text = renderReport(report, opts.format, {
            color: opts.color,
            ...(opts.out.columns ? { width: opts.out.columns } : {}),
          });
        }
      } catch (err) {
        const e = toGatestackError(err);
        last = e.exitCode === 1 ? 2 : e.exitCode;
        text =
          opts.format === "json" && !opts.output
            ? `${JSON.stringify({ error: e.toJSON() })}\n`
            : `${formatErrorForHumans(e)}\n`;
      }
      if (stop.signal.aborted) break;
      const stamp = `— every ${opts.intervalMs / 1000} s, Ctrl-C to stop — ${new Date().toLocaleTimeString()}\n`;
      if (opts.tty && opts.format !== "json") {
        opts.out.write(`${HOME_CLEAR}${text.replaceAll("\n", `${CLEAR_EOL}\n`)}${stamp}`);
      } else {
        opts.out.write(opts.format === "json" && !opts.output ? text : `${text}${stamp}\n`);
      }
      runs++;
      if (opts.maxRuns !== undefined && runs >= opts.maxRuns) break;
      await sleep(Math.max(0, opts.intervalMs - (Date.now() - started)), stop.signal);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return last;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Helpers the runtime commands share: picking a progress renderer, turning Ctrl-C into an abort. */
import { jsonReporter, plainReporter, type Reporter, silentReporter, ttyReporter } from "./progress.js";

export interface ReporterChoice {
  /** --json was given. */
  json: boolean;
  /** Under --json, stream progress as JSON event lines on stdout (else stay silent: one document). */
  jsonEvents?: boolean;
  color: boolean;
}

/** Under --json: JSON event lines on stdout (or nothing); a live list on a TTY stderr; plain lines otherwise. */
export function chooseReporter(choice: ReporterChoice): Reporter {
  if (choice.json) return choice.jsonEvents ? jsonReporter(process.stdout) : silentReporter;
  const color = choice.color && process.stderr.isTTY === true && !process.env.NO_COLOR;
  if (process.stderr.isTTY && process.env.TERM !== "dumb" && !process.env.CI)
    return ttyReporter(process.stderr, { color });
  return plainReporter(process.stderr, { color });
}

/**
 * Runs `fn` with a signal aborted by the first Ctrl-C (SIGINT/SIGTERM); a second one exits at once
 * with code 130. Handlers are removed afterwards.
 */
export async function withInterrupt<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  onFirst?: () => void,
): Promise<T> {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) process.exit(130);
    onFirst?.();
    controller.abort();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  try {
    return await fn(controller.signal);
  } finally {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  }
}

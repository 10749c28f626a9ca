/**
 * Plugin handlers across configuration reloads. When an entry is reloaded the pipeline
 * hands the old handler to the new one (`env.previous`) and no longer closes it itself:
 * the successor either takes its resources over or retires it. Retiring waits until the
 * requests still running on the old configuration are done — bounded like the core's own
 * wait for them — or until the successor closes, whichever comes first.
 */

/** The core waits at most this long for requests on a replaced configuration. */
export const HANDOVER_GRACE_MS = 60_000;

export class Retirement {
  private readonly timer: NodeJS.Timeout;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly close: () => void | Promise<void>,
    graceMs = HANDOVER_GRACE_MS,
  ) {
    this.timer = setTimeout(() => void this.now(), graceMs);
    this.timer.unref();
  }

  /** Close the retired handler now (once; errors are swallowed, it is on its way out). */
  now(): Promise<void> {
    if (this.closing === null) {
      clearTimeout(this.timer);
      this.closing = (async () => {
        try {
          await this.close();
        } catch {
          // a failing close of a retired handler must not affect its successor
        }
      })();
    }
    return this.closing;
  }
}

import type { Command } from "@oclif/core";
import { GatestackError, isGatestackError } from "../errors.js";
import { chooseReporter, withInterrupt } from "../runtime/cli-support.js";
import type { Reporter } from "../runtime/progress.js";
import { BaseCommand, formatErrorForHumans, toGatestackError } from "./base-command.js";

/**
 * A command whose `--json` output is a stream of JSON event lines (progress of `stack up`,
 * `stack deploy`): its result — or its error — is one more line, `{"type":"result",…}`, so stdout
 * stays one JSON object per line from the first event to the end.
 */
export abstract class EventStreamCommand<T extends typeof Command> extends BaseCommand<T> {
  /**
   * Runs a long operation with a progress reporter (JSON event lines under --json) and Ctrl-C as an
   * abort: a first Ctrl-C finishes the current step, then the operation ends with E_INTERRUPTED
   * (exit 130, `interrupted.hint` saying what is left); a stale-render error prints its diff.
   */
  protected async withProgress<R>(
    interrupted: { message: string; hint: string },
    operation: (reporter: Reporter, signal: AbortSignal) => Promise<R>,
  ): Promise<R> {
    const json = this.jsonEnabled();
    const reporter = chooseReporter({
      json,
      jsonEvents: true,
      color: this.useColor || process.stderr.isTTY === true,
    });
    try {
      return await withInterrupt(
        (signal) => operation(reporter, signal),
        () =>
          reporter.warn(
            "interrupted: finishing the current step, then stopping (Ctrl-C again to quit at once)",
          ),
      );
    } catch (err) {
      reporter.close();
      if (isGatestackError(err) && err.code === "E_RENDER_STALE" && !json) {
        const diff = err.data?.diff;
        if (typeof diff === "string" && diff) process.stderr.write(`${diff.trimEnd()}\n`);
      }
      if (isGatestackError(err) && err.code === "E_INTERRUPTED") {
        throw new GatestackError("E_INTERRUPTED", interrupted.message, {
          exitCode: 130,
          hint: interrupted.hint,
        });
      }
      throw err;
    } finally {
      reporter.close();
    }
  }

  protected override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify({ type: "result", ...(json as object) })}\n`);
  }

  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    if (!this.jsonEnabled()) return super.catch(err);
    const gsErr = toGatestackError(err);
    process.exitCode = gsErr.exitCode;
    process.stdout.write(`${JSON.stringify({ type: "result", error: gsErr.toJSON() })}\n`);
    if (process.stderr.isTTY) process.stderr.write(`${formatErrorForHumans(gsErr)}\n`);
    return undefined;
  }
}

import type { Command } from "@oclif/core";
import { BaseCommand, formatErrorForHumans, toGatestackError } from "./base-command.js";

/**
 * A command whose `--json` output is a stream of JSON event lines (progress of `stack up`,
 * `stack deploy`): its result — or its error — is one more line, `{"type":"result",…}`, so stdout
 * stays one JSON object per line from the first event to the end.
 */
export abstract class EventStreamCommand<T extends typeof Command> extends BaseCommand<T> {
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

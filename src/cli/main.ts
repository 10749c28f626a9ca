/**
 * The CLI's entry (bin/run.js, bin/dev.js): oclif's `run`, with errors that escape a command — an
 * unknown command (src/cli/hooks/command-not-found.ts), a parse error in one of oclif's own
 * commands (help, version, autocomplete) — printed as every gatestack error is: under --json the
 * `{"error":{code,message,place,hint}}` document on stdout, else `✗ message` and its hint on stderr.
 */
import { Command, flush, handle, type Interfaces, run, settings } from "@oclif/core";
import { isGatestackError } from "../errors.js";
import { formatErrorForHumans, toGatestackError } from "./base-command.js";
import { loadConfigWithoutManifest } from "./load-config.js";

export interface MainOptions {
  /** The package folder (or a file URL inside it, as import.meta.url of bin/run.js). */
  root: string;
  argv?: string[];
  /**
   * bin/dev.js: commands and hooks from src/ (TypeScript, through tsx), no manifest. Otherwise the
   * compiled dist/ and oclif.manifest.json, and oclif never tries to transpile anything.
   */
  development?: { pjson: Interfaces.PJSON };
}

/** oclif's own commands print `{"error": <the whole error object>}` under --json; make it ours. */
function useGatestackErrorJson(): void {
  // toErrorJson is protected: the one hook oclif gives for the JSON form of an error.
  const proto = Command.prototype as unknown as { toErrorJson(err: unknown): unknown };
  proto.toErrorJson = function toErrorJson(err: unknown): unknown {
    const gsErr = toGatestackError(err);
    process.exitCode = gsErr.exitCode;
    return { error: gsErr.toJSON() };
  };
}

/** oclif's exit signal (`this.exit(n)`), not a failure to report. */
const isExitSignal = (err: unknown): boolean =>
  (err as { oclif?: { exit?: number } } | undefined)?.oclif?.exit !== undefined &&
  /^EEXIT: /.test((err as Error).message ?? "");

export async function main(opts: MainOptions): Promise<void> {
  const argv = opts.argv ?? process.argv.slice(2);
  useGatestackErrorJson();
  let load: string | Awaited<ReturnType<typeof loadConfigWithoutManifest>> = opts.root;
  if (opts.development) load = await loadConfigWithoutManifest(opts.root, opts.development.pjson);
  else settings.enableAutoTranspile = false;
  try {
    await run(argv, load);
    await flush();
  } catch (err) {
    if (isExitSignal(err) || (!argv.includes("--json") && !isGatestackError(err))) {
      await handle(err as Error);
      return;
    }
    const gsErr = toGatestackError(err);
    process.exitCode = gsErr.exitCode;
    if (argv.includes("--json"))
      process.stdout.write(`${JSON.stringify({ error: gsErr.toJSON() }, null, 2)}\n`);
    else process.stderr.write(`${formatErrorForHumans(gsErr)}\n`);
  }
}

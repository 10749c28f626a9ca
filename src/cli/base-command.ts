import { Command, Flags, type Interfaces } from "@oclif/core";
import { errorMessage, GatestackError, isGatestackError } from "../errors.js";
import { isGatewayError } from "../gateway/errors.js";
import { fromGatewayError } from "./gateway-errors.js";

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)["baseFlags"] & T["flags"]
>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T["args"]>;

/**
 * Every `stack` command extends this. It gives:
 *  - `--json`: the value `run()` returns is printed as one JSON document on stdout
 *    (oclif's enableJsonFlag), and errors become `{"error":{code,message,place,hint}}`;
 *  - uniform human errors on stderr: `✗ place: message` + `  hint: …`, exit code from the error;
 *  - `this.say()` / `this.note()` that stay silent under --json so stdout remains one document.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    "no-color": Flags.boolean({ description: "Disable coloured output.", helpGroup: "GLOBAL" }),
  };

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;

  /** Parses flags and args once, strictly: unknown flags are usage errors (exit 2). */
  override async init(): Promise<void> {
    await super.init();
    const { flags, args } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
  }

  /** Print a line for humans on stdout (suppressed under --json). */
  protected say(line = ""): void {
    if (!this.jsonEnabled()) process.stdout.write(`${line}\n`);
  }

  /** Print a line for humans on stderr (progress, warnings); suppressed under --json. */
  protected note(line: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${line}\n`);
  }

  protected get useColor(): boolean {
    return !this.argv.includes("--no-color") && !process.env.NO_COLOR && process.stdout.isTTY === true;
  }

  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    // oclif's own exit signal (this.exit()) must pass through untouched.
    if (err.oclif?.exit !== undefined && !isGatestackError(err) && err.message.startsWith("EEXIT")) throw err;
    const gsErr = toGatestackError(err);
    process.exitCode = gsErr.exitCode;
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify({ error: gsErr.toJSON() }, null, 2)}\n`);
      return undefined;
    }
    process.stderr.write(`${formatErrorForHumans(gsErr)}\n`);
    return undefined;
  }
}

/**
 * Map any thrown value to a GatestackError: the gateway's own errors keep their code (src/cli/gateway-errors.ts),
 * oclif parse errors become E_USAGE (exit 2).
 */
export function toGatestackError(err: unknown): GatestackError {
  if (isGatestackError(err)) return err;
  if (isGatewayError(err)) return fromGatewayError(err);
  const e = err as { name?: string; oclif?: { exit?: number }; message?: string } | undefined;
  const isUsage =
    e?.name?.includes("Parse") ||
    e?.name === "CLIError" ||
    /Unexpected argument|Missing required|Expected .* to be one of|Nonexistent flag|Flag --\S+ expects/.test(
      e?.message ?? "",
    );
  if (isUsage) {
    return new GatestackError("E_USAGE", stripAnsi(errorMessage(err)).split("\n")[0] ?? "invalid usage", {
      exitCode: 2,
      hint: "see --help",
    });
  }
  return new GatestackError("E_INTERNAL", errorMessage(err), { cause: err });
}

export function formatErrorForHumans(err: GatestackError): string {
  const lines = [`✗ ${err.toLine()}`];
  if (err.hint) lines.push(`  hint: ${err.hint}`);
  return lines.join("\n");
}

function stripAnsi(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing ANSI escapes
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}

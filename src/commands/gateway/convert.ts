import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { GatestackError } from "../../errors.js";
import { type ConvertedPath, convertTo30 } from "../../gateway-client/convert.js";
import { readDeclarativeFile } from "../../gateway-client/desired.js";

export interface GatewayConvertResult {
  input: string;
  output: string | null;
  from: string;
  to: "3.0";
  paths: ConvertedPath[];
  /** the converted document when it went to stdout */
  text?: string;
}

export default class GatewayConvert extends BaseCommand<typeof GatewayConvert> {
  static override summary =
    "Convert a Kong 1.x/2.x declarative file to _format_version 3.0 (like `deck file convert`).";

  static override description =
    `What \`deck file convert --from kong-gateway-2.x --to kong-gateway-3.x\` does: every route path
that looks like a regular expression (a character other than letters, digits and . _ ~ / % -) and
has no ~ prefix gets one — Kong 3.0 reads a path without it as a plain prefix — and
_format_version becomes "3.0". Routes under services and top-level routes alike. YAML keeps its
comments and layout; JSON stays JSON. Each changed path is listed on stderr: check them, as
decK asks, before applying the file. Without -o the document goes to stdout; -o is written whole
or not at all.`;

  static override examples = [
    "<%= config.bin %> gateway convert kong-2x.yml -o kong.yml",
    "<%= config.bin %> gateway convert kong-2x.yml | <%= config.bin %> gateway validate /dev/stdin",
  ];

  static override args = {
    file: Args.string({
      description: "Declarative config file, _format_version 1.1 or 2.x.",
      required: true,
    }),
  };

  static override flags = {
    output: Flags.string({
      char: "o",
      description: "Write the converted document to this file (default: stdout).",
    }),
  };

  async run(): Promise<GatewayConvertResult> {
    const input = this.args.file;
    const text = await readDeclarativeFile(input);
    const converted = convertTo30(text, input);
    for (const p of converted.paths) this.note(`~ route ${p.route}: ${p.from} → ${p.to}`);
    const output = this.flags.output ?? null;
    if (output !== null) {
      await writeWhole(output, converted.text);
      this.note(
        `✓ wrote ${output}: _format_version ${converted.fromVersion} → 3.0, ${converted.paths.length} regex path(s) given the ~ prefix`,
      );
    } else if (!this.jsonEnabled()) process.stdout.write(converted.text);
    return {
      input,
      output,
      from: converted.fromVersion,
      to: "3.0",
      paths: converted.paths,
      ...(output === null ? { text: converted.text } : {}),
    };
  }
}

/** Write through a temporary file renamed over the target: never a half-written file. */
async function writeWhole(file: string, text: string): Promise<void> {
  const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, text);
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw new GatestackError("E_IO", `cannot write the file (${(e as NodeJS.ErrnoException).code})`, {
      place: file,
    });
  }
}

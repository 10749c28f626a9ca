import { Writable } from "node:stream";
import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { engineTargetFlags, stackDirFlag } from "../cli/flags.js";
import { GatestackError } from "../errors.js";
import { type ExecResult, execInService } from "../runtime/exec.js";

/** `stack exec --json`: where it ran, its exit code and its collected output. */
export type ExecDocument = ExecResult & { stdout: string; stderr: string };

import { runningStack } from "../runtime/stack-compose.js";

export default class Exec extends BaseCommand<typeof Exec> {
  static override summary = "Run a command in a running container of a service (docker compose exec).";

  static override description =
    `A pseudo-TTY when stdin is a terminal (-T disables it), stdin attached; the command's exit code
is stack exec's. Flags go before SERVICE; everything after \`--\` is the command. With --json, no TTY: the
command's output is collected and printed as one document with its exit code.`;

  static override strict = false;

  static override examples = [
    "<%= config.bin %> exec app -- sh",
    "<%= config.bin %> exec -T postgres -- pg_isready -U kong",
    "<%= config.bin %> exec --index 2 gateway -- node bin/run.js gateway dump --json",
  ];

  static override args = {
    service: Args.string({ description: "The service whose container runs the command.", required: true }),
  };

  static override flags = {
    dir: stackDirFlag(),
    ...engineTargetFlags(),
    "no-TTY": Flags.boolean({
      char: "T",
      description: "Do not allocate a pseudo-TTY (as docker compose exec -T).",
    }),
    index: Flags.integer({
      description: "Which replica of the service (container number).",
      default: 1,
      min: 1,
    }),
    user: Flags.string({ char: "u", description: "Run as this user (name or uid[:gid])." }),
    workdir: Flags.string({ char: "w", description: "Working directory inside the container." }),
    env: Flags.string({
      char: "e",
      description: "Set an environment variable, KEY=VALUE (repeatable).",
      multiple: true,
    }),
    privileged: Flags.boolean({ description: "Give the command extended privileges." }),
  };

  async run(): Promise<ExecDocument | undefined> {
    const { argv } = await this.parse(Exec);
    const [service, ...command] = (argv as string[]).filter((a) => a !== "--");
    if (!service || command.length === 0) {
      throw new GatestackError("E_USAGE", "expected SERVICE and a command: stack exec SERVICE -- CMD…", {
        exitCode: 2,
        hint: "e.g. stack exec app -- sh",
      });
    }
    const { docker, loaded } = await runningStack(
      this.flags.dir,
      [service],
      {
        ...(this.flags.host !== undefined ? { host: this.flags.host } : {}),
        ...(this.flags.context !== undefined ? { context: this.flags.context } : {}),
      },
      "exec",
    );
    const json = this.jsonEnabled();
    const out = { stdout: "", stderr: "" };
    const collect = (key: "stdout" | "stderr") =>
      new Writable({
        write(chunk: Buffer, _enc, done) {
          out[key] += chunk.toString("utf8");
          done();
        },
      });
    const result = await execInService(docker, loaded.config.name, {
      service,
      command,
      index: this.flags.index,
      tty: !json && !this.flags["no-TTY"] && process.stdin.isTTY === true,
      ...(this.flags.user ? { user: this.flags.user } : {}),
      ...(this.flags.workdir ? { workdir: this.flags.workdir } : {}),
      ...(this.flags.env ? { env: this.flags.env } : {}),
      privileged: this.flags.privileged,
      stdin: process.stdin,
      stdout: json ? collect("stdout") : process.stdout,
      stderr: json ? collect("stderr") : process.stderr,
    });
    process.exitCode = result.exitCode;
    return json ? { ...result, ...out } : undefined;
  }
}

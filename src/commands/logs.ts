import { Args, Flags } from "@oclif/core";
import { EventStreamCommand } from "../cli/event-stream-command.js";
import { engineTargetFlags, stackDirFlag } from "../cli/flags.js";
import { GatestackError } from "../errors.js";
import { withInterrupt } from "../runtime/cli-support.js";
import { findDeployment } from "../runtime/deployment.js";
import { streamLogs } from "../runtime/logs.js";
import { streamSwarmLogs } from "../runtime/swarm/logs.js";
import { loadStack } from "../stack/load.js";

export default class Logs extends EventStreamCommand<typeof Logs> {
  static override summary =
    "Show the output of the stack's containers, prefixed and colour-coded per service.";

  static override description =
    `With --json, one JSON object per line: {"type":"log","service","container","stream","time","message"}
(schema/commands/logs.schema.json); an error is a last line {"type":"result","error":{…}}.`;

  static override strict = false;

  static override args = {
    service: Args.string({ description: "Only these services (one or more names).", required: false }),
  };

  static override examples = [
    "<%= config.bin %> logs --dir demo",
    "<%= config.bin %> logs gateway -f",
    "<%= config.bin %> logs app --since 10m --tail 50",
    "<%= config.bin %> logs gateway --json | jq -r 'select(.stream == \"stderr\") | .message'",
  ];

  static override flags = {
    dir: stackDirFlag(),
    ...engineTargetFlags(),
    follow: Flags.boolean({ char: "f", description: "Keep streaming new output (Ctrl-C to stop)." }),
    since: Flags.string({
      description: "Only output since then: a duration (10m, 1h30m), an RFC 3339 time or Unix seconds.",
    }),
    tail: Flags.string({
      char: "n",
      description: 'Lines from the end of each container\'s output ("all" or a number).',
      default: "all",
    }),
    timestamps: Flags.boolean({ char: "t", description: "Show the engine's timestamp on each line." }),
  };

  async run(): Promise<void> {
    const { argv } = await this.parse(Logs);
    const services = (argv as string[]).filter(Boolean);
    // Not strict (any number of services), so oclif lets an unknown flag through as an argument.
    const unknownFlag = services.find((s) => s.startsWith("-"));
    if (unknownFlag !== undefined)
      throw new GatestackError("E_USAGE", `Nonexistent flag: ${unknownFlag}`, {
        exitCode: 2,
        hint: "see --help",
      });
    if (this.flags.tail !== "all" && !/^\d+$/.test(this.flags.tail)) {
      throw new GatestackError("E_USAGE", `--tail ${this.flags.tail}: expected "all" or a number of lines`, {
        exitCode: 2,
      });
    }
    const loaded = await loadStack(this.flags.dir);
    const deployment = await findDeployment(loaded.config.name, {
      ...(this.flags.host !== undefined ? { host: this.flags.host } : {}),
      ...(this.flags.context !== undefined ? { context: this.flags.context } : {}),
    });
    await withInterrupt((signal) => {
      const opts = {
        services,
        follow: this.flags.follow,
        ...(this.flags.since ? { since: this.flags.since } : {}),
        tail: this.flags.tail,
        timestamps: this.flags.timestamps,
        color: this.useColor,
        json: this.jsonEnabled(),
        out: process.stdout,
        signal,
        warn: (message: string) => process.stderr.write(`! ${message}\n`),
      };
      return deployment.kind === "swarm"
        ? streamSwarmLogs(deployment.target.docker, loaded.config.name, opts)
        : streamLogs(deployment.docker, loaded.config.name, opts);
    });
  }
}

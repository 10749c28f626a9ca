import { Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { stackDirFlag } from "../cli/flags.js";
import { chooseReporter } from "../runtime/cli-support.js";
import { type DownResult, down } from "../runtime/down.js";
import { connectDocker, ensureEngine } from "../runtime/engine.js";
import { loadStack } from "../stack/load.js";

export default class Down extends BaseCommand<typeof Down> {
  static override summary =
    "Stop and remove the stack's containers and networks (volumes only with --volumes).";

  static override examples = [
    "<%= config.bin %> down --dir demo",
    "<%= config.bin %> down --volumes   # also delete the data volumes",
    "<%= config.bin %> down --rmi       # also delete the service images stack up built",
  ];

  static override flags = {
    dir: stackDirFlag(),
    volumes: Flags.boolean({
      char: "v",
      description: "Also remove the stack's named volumes (their data is lost).",
    }),
    rmi: Flags.boolean({ description: "Also remove the images built for this stack's services." }),
    timeout: Flags.integer({
      char: "t",
      description: "Seconds to wait for each container to stop before killing it.",
      min: 0,
    }),
  };

  async run(): Promise<DownResult> {
    const loaded = await loadStack(this.flags.dir);
    const docker = connectDocker();
    await ensureEngine(docker);
    const reporter = chooseReporter({
      json: this.jsonEnabled(),
      color: this.useColor || process.stderr.isTTY === true,
    });
    const started = Date.now();
    let result: DownResult;
    try {
      result = await down(docker, loaded.config.name, {
        reporter,
        volumes: this.flags.volumes,
        rmi: this.flags.rmi,
        ...(this.flags.timeout !== undefined ? { timeoutSeconds: this.flags.timeout } : {}),
      });
    } finally {
      reporter.close();
    }
    const n = result.containers.length;
    this.say(
      n + result.networks.length === 0
        ? `✓ ${result.project}: nothing to remove`
        : `✓ ${result.project} is down in ${((Date.now() - started) / 1000).toFixed(1)} s: ${n} container${n === 1 ? "" : "s"}, ${result.networks.length} network(s)${this.flags.volumes ? `, ${result.volumes.length} volume(s)` : ""}${this.flags.rmi ? `, ${result.images.length} image(s)` : ""} removed`,
    );
    return result;
  }
}

import { Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { engineTargetFlags, stackDirFlag } from "../cli/flags.js";
import { chooseReporter } from "../runtime/cli-support.js";
import { findDeployment } from "../runtime/deployment.js";
import { type DownResult, down } from "../runtime/down.js";
import { loadStackProject } from "../runtime/stack-compose.js";
import { type SwarmDownResult, swarmDown } from "../runtime/swarm/down.js";
import { loadStack } from "../stack/load.js";

export default class Down extends BaseCommand<typeof Down> {
  static override summary =
    "Stop and remove the stack's containers and networks (volumes only with --volumes).";

  static override examples = [
    "<%= config.bin %> down --dir demo",
    "<%= config.bin %> down --volumes   # also delete the data volumes",
    "<%= config.bin %> down --rmi local # also delete the service images stack up built",
    "<%= config.bin %> down --rmi all   # and every other image the services use",
  ];

  static override flags = {
    dir: stackDirFlag(),
    ...engineTargetFlags(),
    volumes: Flags.boolean({
      char: "v",
      description: "Also remove the stack's named volumes (their data is lost).",
    }),
    rmi: Flags.string({
      description:
        "Also remove images: local = those stack up built for this stack's services, all = also every image the services use (as docker compose down --rmi).",
      options: ["local", "all"],
    }),
    timeout: Flags.integer({
      char: "t",
      description: "Seconds to wait for each container to stop before killing it.",
      min: 0,
    }),
  };

  async run(): Promise<({ mode: "compose" } & DownResult) | ({ mode: "swarm" } & SwarmDownResult)> {
    const loaded = await loadStack(this.flags.dir);
    const deployment = await findDeployment(loaded.config.name, {
      ...(this.flags.host !== undefined ? { host: this.flags.host } : {}),
      ...(this.flags.context !== undefined ? { context: this.flags.context } : {}),
    });
    const reporter = chooseReporter({
      json: this.jsonEnabled(),
      color: this.useColor || process.stderr.isTTY === true,
    });
    const started = Date.now();
    if (deployment.kind === "swarm") {
      let swarmResult: SwarmDownResult;
      try {
        swarmResult = await swarmDown(deployment.target, loaded.config.name, { reporter, cwd: loaded.dir });
      } finally {
        reporter.close();
      }
      this.say(
        `✓ ${swarmResult.stack} is removed from the swarm in ${((Date.now() - started) / 1000).toFixed(1)} s: ${swarmResult.services.length} service(s) (volumes stay on the nodes)`,
      );
      return { mode: "swarm", ...swarmResult };
    }
    const docker = deployment.docker;
    let result: DownResult;
    try {
      const rmi = this.flags.rmi as "local" | "all" | undefined;
      const images =
        rmi === "all"
          ? Object.values((await loadStackProject(loaded, { profiles: ["*"] })).services).map((s) => s.image)
          : [];
      result = await down(docker, loaded.config.name, {
        reporter,
        volumes: this.flags.volumes,
        ...(rmi ? { rmi, images } : {}),
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
    return { mode: "compose", ...result };
  }
}

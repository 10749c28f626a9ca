import { Flags } from "@oclif/core";
import { ServiceActionCommand, serviceActionFlags, serviceArgs } from "../cli/service-action-command.js";
import type { ServiceActionResult } from "../runtime/services.js";

export default class Start extends ServiceActionCommand<typeof Start> {
  static override summary = "Start the stack's existing stopped containers (docker compose start).";

  static override description =
    "The services named (all when none) and what they depend on, dependencies first, each once its dependencies meet their depends_on condition. Creates nothing: a service without a container is an error (`stack up` creates it).";

  static override examples = ["<%= config.bin %> start --dir demo", "<%= config.bin %> start app --wait"];

  static override args = serviceArgs("Services to start (with their dependencies); default: all.");

  static override flags = {
    ...serviceActionFlags(),
    wait: Flags.boolean({
      description: "Wait until the containers are healthy (or running, without a healthcheck).",
    }),
    "wait-timeout": Flags.integer({
      description: "Seconds to wait for dependencies and --wait.",
      default: 180,
      min: 1,
    }),
  };

  async run(): Promise<ServiceActionResult> {
    return this.runAction("start", { wait: this.flags.wait, waitTimeoutSeconds: this.flags["wait-timeout"] });
  }
}

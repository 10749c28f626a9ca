import { Flags } from "@oclif/core";
import {
  ServiceActionCommand,
  serviceActionFlags,
  serviceArgs,
  stopTimeoutFlag,
} from "../cli/service-action-command.js";
import type { ServiceActionResult } from "../runtime/services.js";

export default class Restart extends ServiceActionCommand<typeof Restart> {
  static override summary = "Restart the stack's containers (docker compose restart).";

  static override description =
    "The services named (all when none) and the services depending on them with `restart: true`, dependencies first. The containers keep their configuration: after changing compose.yaml or stack.yaml, `stack up` recreates what changed.";

  static override examples = [
    "<%= config.bin %> restart --dir demo",
    "<%= config.bin %> restart gateway -t 5",
    "<%= config.bin %> restart app --no-deps",
  ];

  static override args = serviceArgs("Services to restart; default: all.");

  static override flags = {
    ...serviceActionFlags(),
    timeout: stopTimeoutFlag(),
    "no-deps": Flags.boolean({
      description: "Do not restart the services that depend on them (restart: true).",
    }),
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
    return this.runAction("restart", {
      ...(this.flags.timeout !== undefined ? { timeoutSeconds: this.flags.timeout } : {}),
      noDeps: this.flags["no-deps"],
      wait: this.flags.wait,
      waitTimeoutSeconds: this.flags["wait-timeout"],
    });
  }
}

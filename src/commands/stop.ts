import {
  ServiceActionCommand,
  serviceActionFlags,
  serviceArgs,
  stopTimeoutFlag,
} from "../cli/service-action-command.js";
import type { ServiceActionResult } from "../runtime/services.js";

export default class Stop extends ServiceActionCommand<typeof Stop> {
  static override summary =
    "Stop the stack's running containers without removing them (docker compose stop).";

  static override description =
    "The services named (all when none), dependants before what they depend on. `stack start` starts them again, `stack down` removes them.";

  static override examples = ["<%= config.bin %> stop --dir demo", "<%= config.bin %> stop app -t 5"];

  static override args = serviceArgs("Services to stop; default: all.");

  static override flags = { ...serviceActionFlags(), timeout: stopTimeoutFlag() };

  async run(): Promise<ServiceActionResult> {
    return this.runAction(
      "stop",
      this.flags.timeout !== undefined ? { timeoutSeconds: this.flags.timeout } : {},
    );
  }
}

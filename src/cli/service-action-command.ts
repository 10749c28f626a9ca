import { Args, type Command, Flags } from "@oclif/core";
import { chooseReporter } from "../runtime/cli-support.js";
import { type ServiceAction, type ServiceActionResult, serviceAction } from "../runtime/services.js";
import { runningStack } from "../runtime/stack-compose.js";
import { BaseCommand } from "./base-command.js";
import { engineTargetFlags, stackDirFlag } from "./flags.js";

/** The SERVICE… arguments of a command taking service names (oclif's variadic form). */
export const serviceArgs = (description: string) => ({
  service: Args.string({ description, required: false }),
});

/** Flags `stack stop|start|restart` share. */
export const serviceActionFlags = () => ({
  dir: stackDirFlag(),
  ...engineTargetFlags(),
});

/** The stop timeout flag, as Compose's `-t, --timeout`. */
export const stopTimeoutFlag = () =>
  Flags.integer({
    char: "t",
    description:
      "Seconds to wait for each container to stop before killing it (default: its own stop timeout).",
    min: 0,
  });

/**
 * `stack stop|start|restart [SERVICE…]`: one action on existing containers (src/runtime/services.ts),
 * a progress line per container, the result as JSON under --json.
 */
export abstract class ServiceActionCommand<T extends typeof Command> extends BaseCommand<T> {
  static override strict = false;

  protected async runAction(
    action: ServiceAction,
    options: { timeoutSeconds?: number; noDeps?: boolean; wait?: boolean; waitTimeoutSeconds?: number },
  ): Promise<ServiceActionResult> {
    const { argv } = await this.parse(this.ctor);
    const services = [...new Set((argv as string[]).filter(Boolean))];
    const flags = this.flags as { dir: string; host?: string; context?: string };
    const { docker, project } = await runningStack(
      flags.dir,
      services,
      {
        ...(flags.host !== undefined ? { host: flags.host } : {}),
        ...(flags.context !== undefined ? { context: flags.context } : {}),
      },
      action,
    );
    const reporter = chooseReporter({
      json: this.jsonEnabled(),
      color: this.useColor || process.stderr.isTTY === true,
    });
    const started = Date.now();
    let result: ServiceActionResult;
    try {
      result = await serviceAction(docker, project, action, { reporter, services, ...options });
    } finally {
      reporter.close();
    }
    const done = result.containers.filter((c) => c.result !== "already").length;
    const verb = { stop: "stopped", start: "started", restart: "restarted" }[action];
    this.say(
      result.containers.length === 0
        ? `✓ ${result.project}: no container to ${action}`
        : `✓ ${result.project}: ${done} container${done === 1 ? "" : "s"} ${verb}${done < result.containers.length ? `, ${result.containers.length - done} already ${action === "stop" ? "stopped" : "running"}` : ""} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return result;
  }
}

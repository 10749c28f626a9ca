import { Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { stackDirFlag } from "../cli/flags.js";
import { GatestackError } from "../errors.js";
import { renderDoctor } from "../health/doctor/render.js";
import type { DoctorReport } from "../health/doctor/report.js";
import { DEFAULT_DOCTOR_TIMEOUT_MS, runDoctor } from "../health/doctor/run.js";
import { loadStack } from "../stack/load.js";

export default class Doctor extends BaseCommand<typeof Doctor> {
  static override summary =
    "Check this machine before `stack up`: engine, Compose, ports, memory, kernel, images, git.";

  static override description = `Reads only; checks, for the stack in --dir as stack.yaml renders it now:
  engine   the Docker engine answers; its version and Engine API version, and what an older API leaves out
           (healthcheck start_interval and several networks at create need API 1.44)
  compose  a Compose CLI (docker compose / docker-compose): v2 wanted to run the rendered folder by hand
  ports    every host port the stack publishes is free (or held by this stack), naming the holder
  memory   what the base stack and the enabled addons need against the memory available
  kernel   vm.max_map_count >= 262144 when Elasticsearch (addons.elk) is on
  images   the stack's images present in the engine, or a registry that answers to pull the rest
  git      the stack folder is a repository with a commit holding the Jenkinsfile (addons.jenkins)

Exit code: 0 every check ok, 1 a warning, 2 something \`stack up\` would fail on (no engine, a busy port, not
enough memory, missing images and no registry…). The --json document follows schema/doctor-report.schema.json.`;

  static override examples = [
    "<%= config.bin %> doctor",
    "<%= config.bin %> doctor --dir ./shop --json | jq '.sections[] | select(.status != \"ok\")'",
  ];

  static override flags = {
    dir: stackDirFlag(),
    timeout: Flags.custom<number>({
      description: "Bound of every single probe (engine, registry, CLI), in seconds.",
      default: DEFAULT_DOCTOR_TIMEOUT_MS / 1000,
      parse: async (input) => Number(input),
    })(),
  };

  async run(): Promise<DoctorReport> {
    const { dir, timeout } = this.flags;
    if (!Number.isFinite(timeout) || timeout < 0.05 || timeout > 120)
      throw new GatestackError("E_USAGE", "--timeout must be seconds between 0.05 and 120", {
        exitCode: 2,
        hint: "see `stack doctor --help`",
      });
    const loaded = await loadStack(dir);
    const report = await runDoctor(loaded, { timeoutMs: Math.round(timeout * 1000) });
    process.exitCode = report.exitCode;
    if (!this.jsonEnabled()) process.stdout.write(renderDoctor(report, { color: this.useColor }));
    return report;
  }
}

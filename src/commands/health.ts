import { Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { engineTargetFlags, stackDirFlag } from "../cli/flags.js";
import { GatestackError } from "../errors.js";
import {
  DEFAULT_WATCH_SECONDS,
  normalizeHealthArgv,
  outputFormatFor,
  type ReportFormat,
  renderReport,
  writeReportFile,
} from "../health/output.js";
import type { HealthReport } from "../health/report.js";
import { DEFAULT_TIMEOUT_MS, runHealth } from "../health/run.js";
import { defaultEdgeUrl, runSwarmHealth } from "../health/swarm.js";
import { watchHealth } from "../health/watch.js";
import { httpsEnabled } from "../render/topology.js";
import { findDeployment } from "../runtime/deployment.js";
import { loadStack } from "../stack/load.js";

export default class Health extends BaseCommand<typeof Health> {
  static override summary = "Check every layer of the running stack and say what is broken and why.";

  static override description = `Probes, concurrently and each bounded by --timeout:
  containers  state, health, restarts, OOM kills, uptime of every container of the project
  edge        Caddy's published ports, each site's certificate (issuer, days left), Caddy's view of the gateway replicas
  gateway     /status/ready of each replica, the loaded config hash vs config/gateway/gateway.yaml, upstream target health
  services    each app's health path through Caddy → gateway → app AND directly inside the network
  addons      Prometheus (+ scrape targets), Grafana, Elasticsearch, Logstash, Kibana, Jenkins, when enabled
  trace       one request with a fresh X-Request-ID, the id seen at the gateway and the app, time per hop

On a swarm manager where the stack is deployed (stack deploy; --host/--context): every service's tasks, Caddy
on the manager's published port (--edge to name another address), each gateway replica's readiness and
configuration against deploy/swarm/gateway.yaml, and each app through the chain.

Exit code: 0 healthy, 1 degraded (something failing but traffic is served), 2 down (the chain does not serve,
the stack is not running, or Docker is unreachable). The --json document follows schema/health-report.schema.json.`;

  static override examples = [
    "<%= config.bin %> health",
    "<%= config.bin %> health --dir ./shop --timeout 1",
    "<%= config.bin %> health --json | jq '.layers[] | select(.status != \"ok\")'",
    "<%= config.bin %> health --format html --output health.html",
    "<%= config.bin %> health --watch 5",
  ];

  static override flags = {
    dir: stackDirFlag(),
    ...engineTargetFlags(),
    edge: Flags.string({
      description:
        "Swarm deployments: where Caddy answers (default http(s)://<the manager's address>:<stack.yaml's port>).",
    }),
    timeout: Flags.custom<number>({
      description: "Bound of every single probe, in seconds (decimals allowed).",
      default: DEFAULT_TIMEOUT_MS / 1000,
      parse: async (input) => Number(input),
    })(),
    format: Flags.string({
      char: "f",
      description: "Report format (default: table, or from the --output file extension).",
      options: ["table", "json", "markdown", "html"],
    }),
    output: Flags.string({
      char: "o",
      description: "Write the report to FILE (atomically) instead of stdout.",
    }),
    watch: Flags.custom<number>({
      char: "w",
      description: `Redraw the report every SECONDS (default ${DEFAULT_WATCH_SECONDS}) until Ctrl-C.`,
      helpValue: "[SECONDS]",
      parse: async (input) => Number(input),
    })(),
  };

  override async init(): Promise<void> {
    this.argv = normalizeHealthArgv(this.argv);
    await super.init();
  }

  async run(): Promise<HealthReport | undefined> {
    const { dir, timeout, output, watch } = this.flags;
    checkRange("--timeout", timeout, 0.05, 120);
    if (watch !== undefined) checkRange("--watch", watch, 0.5, 3600);
    const format: ReportFormat = outputFormatFor(this.flags.format, output, this.jsonEnabled());
    const timeoutMs = Math.round(timeout * 1000);
    const loaded = await loadStack(dir);
    const deployment = await findDeployment(loaded.config.name, {
      ...(this.flags.host !== undefined ? { host: this.flags.host } : {}),
      ...(this.flags.context !== undefined ? { context: this.flags.context } : {}),
    }).catch((err: unknown) => {
      // no engine to ask means nothing is known to serve: "down", exit 2
      if (err instanceof GatestackError && err.exitCode !== 2)
        throw new GatestackError(err.code, err.message, {
          exitCode: 2,
          ...(err.hint ? { hint: err.hint } : {}),
          cause: err,
        });
      throw err;
    });
    const https = httpsEnabled(loaded.config);
    const produce = () =>
      deployment.kind === "swarm"
        ? runSwarmHealth(loaded, {
            timeoutMs,
            docker: deployment.target.docker,
            edgeUrl:
              this.flags.edge ??
              defaultEdgeUrl(
                deployment.target.cliEnv.DOCKER_HOST,
                https,
                https ? loaded.config.ports.https : loaded.config.ports.http,
              ),
          })
        : runHealth(loaded, { timeoutMs, docker: deployment.docker });

    if (watch !== undefined) {
      const last = await watchHealth({
        intervalMs: watch * 1000,
        produce,
        format,
        color: this.useColor,
        tty: process.stdout.isTTY === true,
        out: process.stdout,
        ...(output ? { output } : {}),
      });
      process.exitCode = last;
      return undefined;
    }

    const report = await produce();
    process.exitCode = report.exitCode;
    if (output) {
      await writeReportFile(output, renderReport(report, format, { color: false }));
      if (this.jsonEnabled()) return report;
      this.say(renderReport(report, "summary", { color: this.useColor }).trimEnd());
      this.say(`report written to ${output}`);
      return report;
    }
    if (this.jsonEnabled()) return report;
    process.stdout.write(renderReport(report, format, { color: this.useColor }));
    return report;
  }
}

function checkRange(flag: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max)
    throw new GatestackError("E_USAGE", `${flag} must be seconds between ${min} and ${max}`, {
      exitCode: 2,
      hint: "see `stack health --help`",
    });
}

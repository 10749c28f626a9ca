import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { engineTargetFlags, stackDirFlag } from "../cli/flags.js";
import { findDeployment } from "../runtime/deployment.js";
import { CONTAINER_STATES, filterPsRows, type PsRow, ps, psState, renderTable } from "../runtime/ps.js";
import { type SwarmPs, swarmPs } from "../runtime/swarm/ps.js";
import { loadStack } from "../stack/load.js";

export default class Ps extends BaseCommand<typeof Ps> {
  static override summary = "List the stack's containers: service, container, state, health, ports.";

  static override description =
    `As \`docker compose ps\`: running containers, all of them with -a, those in a state with --status;
--format json prints one JSON object per container and line, -q only the container IDs.
On a swarm manager where the stack is deployed (stack deploy), lists its tasks instead — service,
node, state, error — and each gateway replica's readiness and configuration hash.`;

  static override examples = [
    "<%= config.bin %> ps --dir demo",
    "<%= config.bin %> ps --json",
    "<%= config.bin %> ps -a --status exited",
    "<%= config.bin %> ps -q gateway",
    "<%= config.bin %> ps --host tcp://manager:2375   # a Swarm deployment",
  ];

  static override strict = false;

  static override args = {
    service: Args.string({ description: "Only these services (one or more names).", required: false }),
  };

  static override flags = {
    dir: stackDirFlag(),
    ...engineTargetFlags(),
    services: Flags.boolean({ description: "Print only the service names that have containers." }),
    all: Flags.boolean({
      char: "a",
      description: "Show stopped containers too (by default only running ones).",
    }),
    status: Flags.string({
      description: "Only containers in this state (repeatable); shows stopped ones without -a.",
      options: [...CONTAINER_STATES],
      multiple: true,
    }),
    quiet: Flags.boolean({ char: "q", description: "Print only the container IDs." }),
    format: Flags.string({
      description: "table (default) or json: one JSON object per container and line.",
      options: ["table", "json"],
      default: "table",
    }),
  };

  async run(): Promise<
    { mode: "compose"; project: string; containers: PsRow[] } | ({ mode: "swarm"; project: string } & SwarmPs)
  > {
    const loaded = await loadStack(this.flags.dir);
    const deployment = await findDeployment(loaded.config.name, {
      ...(this.flags.host !== undefined ? { host: this.flags.host } : {}),
      ...(this.flags.context !== undefined ? { context: this.flags.context } : {}),
    });
    if (deployment.kind === "swarm")
      return this.swarm(loaded.config.name, await swarmPs(deployment.target.docker, loaded.config.name));
    const docker = deployment.docker;
    const { argv } = await this.parse(Ps);
    const rows = filterPsRows(await ps(docker, loaded.config.name), {
      all: this.flags.all,
      ...(this.flags.status ? { status: this.flags.status } : {}),
      services: (argv as string[]).filter(Boolean),
    });
    if (this.flags.quiet) {
      for (const r of rows) this.say(r.id);
    } else if (this.flags.format === "json") {
      for (const r of rows) this.say(JSON.stringify(r));
    } else if (this.flags.services) {
      for (const s of new Set(rows.map((r) => r.service))) this.say(s);
    } else if (rows.length === 0) {
      this.note(
        this.flags.all || this.flags.status
          ? `no containers for stack ${loaded.config.name} (start it with \`stack up\`)`
          : `no running containers for stack ${loaded.config.name} (-a shows stopped ones; \`stack up\` starts it)`,
      );
    } else {
      const paint = (code: number, s: string) => (this.useColor ? `\u001b[${code}m${s}\u001b[39m` : s);
      const healthCell = (h: string) =>
        h === "healthy"
          ? paint(32, h)
          : h === "unhealthy"
            ? paint(31, h)
            : h === "starting"
              ? paint(33, h)
              : h || "-";
      this.say(
        renderTable(
          ["SERVICE", "CONTAINER", "STATE", "HEALTH", "PORTS"],
          rows.map((r) => [r.service, r.container, psState(r), r.health || "-", r.ports.join(", ")]),
        )
          .split("\n")
          .map((line, i) =>
            i === 0 ? line : line.replace(/\b(healthy|unhealthy|starting)\b/, (h) => healthCell(h)),
          )
          .join("\n"),
      );
    }
    return { mode: "compose", project: loaded.config.name, containers: rows };
  }

  private swarm(project: string, r: SwarmPs): { mode: "swarm"; project: string } & SwarmPs {
    if (this.flags.services) {
      for (const s of new Set(r.tasks.map((t) => t.service))) this.say(s);
      return { mode: "swarm", project, ...r };
    }
    this.say(
      renderTable(
        ["TASK", "NODE", "STATE", "ADDRESS", "ERROR"],
        r.tasks.map((t) => [t.task, t.node, t.state, t.address, t.error]),
      ),
    );
    if (r.gateways.length > 0) {
      this.say("");
      this.say(
        renderTable(
          ["GATEWAY", "NODE", "READY", "CONFIGURATION HASH"],
          r.gateways.map((g) => [
            g.task ?? g.address,
            g.node ?? "",
            g.ready ? "yes" : "no",
            g.configuration_hash ?? g.error ?? "",
          ]),
        ),
      );
      if (r.configurationHashes.length > 1)
        this.say(
          `  ! the gateway replicas serve ${r.configurationHashes.length} configurations: a change is rolling out`,
        );
    }
    return { mode: "swarm", project, ...r };
  }
}

import { Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { stackDirFlag } from "../cli/flags.js";
import { connectDocker, ensureEngine } from "../runtime/engine.js";
import { type PsRow, ps, renderTable } from "../runtime/ps.js";
import { loadStack } from "../stack/load.js";

export default class Ps extends BaseCommand<typeof Ps> {
  static override summary = "List the stack's containers: service, container, state, health, ports.";

  static override examples = ["<%= config.bin %> ps --dir demo", "<%= config.bin %> ps --json"];

  static override flags = {
    dir: stackDirFlag(),
    services: Flags.boolean({ description: "Print only the service names that have containers." }),
  };

  async run(): Promise<{ project: string; containers: PsRow[] }> {
    const loaded = await loadStack(this.flags.dir);
    const docker = connectDocker();
    await ensureEngine(docker);
    const rows = await ps(docker, loaded.config.name);
    if (this.flags.services) {
      for (const s of new Set(rows.map((r) => r.service))) this.say(s);
    } else if (rows.length === 0) {
      this.note(`no containers for stack ${loaded.config.name} (start it with \`stack up\`)`);
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
          rows.map((r) => [r.service, r.container, r.state, r.health || "-", r.ports.join(", ")]),
        )
          .split("\n")
          .map((line, i) =>
            i === 0 ? line : line.replace(/\b(healthy|unhealthy|starting)\b/, (h) => healthCell(h)),
          )
          .join("\n"),
      );
    }
    return { project: loaded.config.name, containers: rows };
  }
}

import { Flags } from "@oclif/core";
import { stringify } from "yaml";
import { BaseCommand } from "../cli/base-command.js";
import { stackDirFlag } from "../cli/flags.js";
import { stackConfig } from "../runtime/stack-compose.js";

export default class Config extends BaseCommand<typeof Config> {
  static override summary =
    "Print the resolved Compose model stack up runs: files merged, variables interpolated, defaults filled (docker compose config).";

  static override description =
    `compose.yaml merged with its override file (compose.override.yml or .yaml), \${VAR} interpolated
from .env and the environment, profiles applied, short forms expanded, paths absolute — as YAML, or
the same model as JSON with --json. The stack's secrets from .env show as ******** (--show-secrets
prints them). It reads the files on disk: when stack.yaml would change a generated file, it says so
(stack up renders first).`;

  static override examples = [
    "<%= config.bin %> config --dir demo",
    "<%= config.bin %> config --profile monitoring --json",
    "<%= config.bin %> config --services",
  ];

  static override flags = {
    dir: stackDirFlag(),
    profile: Flags.string({
      description: "Enable a profile the compose files define, or '*' for every one (repeatable).",
      multiple: true,
    }),
    services: Flags.boolean({
      description: "Print only the service names, one per line.",
      exclusive: ["profiles", "images", "volumes"],
    }),
    profiles: Flags.boolean({
      description: "Print only the profile names the files define.",
      exclusive: ["images", "volumes"],
    }),
    images: Flags.boolean({ description: "Print only the images the services run.", exclusive: ["volumes"] }),
    volumes: Flags.boolean({ description: "Print only the volume names." }),
    "show-secrets": Flags.boolean({
      description:
        "Print the stack's secret values (from .env) instead of ********, as docker compose config does.",
    }),
    quiet: Flags.boolean({ char: "q", description: "Only check the model; print nothing." }),
  };

  async run(): Promise<Record<string, unknown>> {
    const f = this.flags;
    const { model, project, stale } = await stackConfig(f.dir, {
      ...(f.profile ? { profiles: f.profile } : {}),
      showSecrets: f["show-secrets"],
    });
    for (const w of project.warnings) this.note(`! ${w}`);
    if (stale.length > 0)
      this.note(
        `! stack.yaml would change ${stale.join(", ")}: stack up renders it first (stack render now)`,
      );
    const lists: Array<[boolean, string, string[]]> = [
      [f.services, "services", Object.keys(project.services).sort()],
      [f.profiles, "profiles", project.definedProfiles],
      [f.images, "images", [...new Set(Object.values(project.services).map((s) => s.image))].sort()],
      [f.volumes, "volumes", Object.keys(project.volumes).sort()],
    ];
    for (const [asked, key, values] of lists) {
      if (!asked) continue;
      if (!f.quiet) for (const v of values) this.say(v);
      return { [key]: values };
    }
    if (!f.quiet) this.say(stringify(model, { lineWidth: 0 }).trimEnd());
    return model;
  }
}

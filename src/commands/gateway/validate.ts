import { readFile } from "node:fs/promises";
import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { pluginDirsFlag, pluginRegistryOf } from "../../cli/plugin-dirs.js";
import { GatestackError } from "../../errors.js";
import { parseDeclarativeConfig } from "../../gateway/config/load.js";
import { errorLines, locateErrors } from "../../gateway/config/report.js";
import type { GatewayConfig } from "../../gateway/config/types.js";
import { parseEnvFile } from "../../stack/env-file.js";

/** Entity counts shown on success. */
function countsOf(config: GatewayConfig): Record<string, number> {
  return {
    services: config.services.length,
    routes: config.routes.length,
    upstreams: config.upstreams.length,
    targets: config.targets.length,
    consumers: config.consumers.length,
    plugins: config.plugins.length,
    credentials:
      config.keyauth_credentials.length +
      config.jwt_secrets.length +
      config.basicauth_credentials.length +
      config.hmacauth_credentials.length +
      config.acls.length,
  };
}

export default class GatewayValidate extends BaseCommand<typeof GatewayValidate> {
  static override summary = "Check a Kong declarative config file offline (like `kong config parse`).";

  static override description =
    `Parses FILE (YAML or JSON, _format_version 3.0, 2.1 or 1.1) exactly as the gateway
loads it: entity schemas and defaults, references by name or id, uniqueness, plugin configs
against each installed plugin's schema. {vault://env/NAME} references are resolved from the
environment (and --env-file). Exit 0 with a summary, or 1 listing every invalid field with its
line:column. With --json, prints the summary or Kong's error body (code 14, fields, flattened_errors).

Only open-source Kong features are accepted. Kong Enterprise and Konnect features are refused
with a message naming them as such, at their place, rather than as unknown fields: Enterprise
plugins (openid-connect, rate-limiting-advanced, …), consumer groups, mtls-auth credentials,
workspaces other than 'default', RBAC, partials, vaults other than 'env', and Konnect's
'_konnect', custom plugins and service packages. Open-source Kong features this gateway does
not run yet are refused saying that too.`;

  static override examples = [
    "<%= config.bin %> gateway validate kong.yml",
    "<%= config.bin %> gateway validate config/gateway/gateway.yaml --env-file .env",
    "<%= config.bin %> gateway validate kong.yml --json",
  ];

  static override args = {
    file: Args.string({ description: "Declarative config file (YAML or JSON).", required: true }),
  };

  static override flags = {
    "env-file": Flags.string({
      description: "Read variables for {vault://env/…} references from this .env file too.",
    }),
    "plugin-dirs": pluginDirsFlag(),
  };

  async run(): Promise<Record<string, unknown>> {
    const file = this.args.file;
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new GatestackError(
        "E_IO",
        code === "ENOENT" ? "no such file" : `cannot read file (${code ?? "error"})`,
        {
          place: file,
        },
      );
    }
    const env: Record<string, string | undefined> = { ...process.env };
    if (this.flags["env-file"]) {
      const envFile = this.flags["env-file"];
      let envText: string;
      try {
        envText = await readFile(envFile, "utf8");
      } catch {
        throw new GatestackError("E_IO", "cannot read the env file", { place: envFile });
      }
      Object.assign(env, parseEnvFile(envText, envFile));
    }
    const registry = await pluginRegistryOf(this.flags["plugin-dirs"], (line) => this.note(line));
    const result = parseDeclarativeConfig(text, { env, plugins: registry.get });
    if (!result.ok) {
      const lines = locateErrors(text, errorLines(result.error));
      for (const l of lines) {
        const where = l.line !== undefined ? `${file}:${l.line}:${l.col}` : file;
        this.note(`  ${where}  ${l.pointer}: ${l.message}`);
      }
      const first = lines[0];
      throw new GatestackError(
        "E_GATEWAY_CONFIG",
        `invalid declarative configuration (${lines.length} error${lines.length === 1 ? "" : "s"})`,
        {
          place: first?.line !== undefined ? `${file}:${first.line}:${first.col}` : file,
          hint: "fix the fields listed above; `--json` prints Kong's error body",
          data: { ...result.error },
        },
      );
    }
    const counts = countsOf(result.config);
    this.say("parse successful");
    this.say(
      Object.entries(counts)
        .map(([k, v]) => `${v} ${k}`)
        .join(", "),
    );
    this.say(`configuration hash ${result.config.hash}`);
    return {
      message: "parse successful",
      file,
      format_version: result.config.format_version,
      hash: result.config.hash,
      counts,
    };
  }
}

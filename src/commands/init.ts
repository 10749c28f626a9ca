import { relative } from "node:path";
import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { type Ask, canPrompt, withPrompts } from "../cli/prompt.js";
import { renderStack } from "../render/index.js";
import {
  defaultProjectName,
  fieldProblem,
  type InitResult,
  initStack,
  parseAddonList,
  parseTemplateName,
} from "../stack/init.js";
import { loadStack } from "../stack/load.js";
import { type AddonName, TEMPLATE_NAMES, type TemplateName } from "../stack/schema.js";
import type { StarterOptions } from "../stack/starters.js";

/** The --json document of `stack init`. */
export interface InitCommandResult extends InitResult {
  /** Files `stack render` generated right after (relative to dir). */
  rendered: string[];
}

export default class Init extends BaseCommand<typeof Init> {
  static override summary = "Create a stack folder from a starter: monolith or microservices.";
  static override description =
    "Writes stack.yaml (its $schema modeline names .gatestack/stack.schema.json, written beside it), the FastAPI apps " +
    "under services/, a .env with random secrets (mode 600) and a .gitignore, " +
    "then renders the generated files so the folder is ready for `stack up`. Asks on a terminal; --yes takes the defaults.";
  static override examples = [
    "<%= config.bin %> init shop --template microservices --with prometheus,grafana --yes",
    "<%= config.bin %> init api --template monolith --domain api.example.com --https auto --yes",
  ];

  static override args = {
    dir: Args.string({
      description: "Folder to create (must be empty or new unless --force).",
      default: ".",
    }),
  };

  static override flags = {
    template: Flags.string({
      char: "t",
      description: `Starter: ${TEMPLATE_NAMES.join(" | ")} (default monolith).`,
    }),
    name: Flags.string({ description: "Project name (default: the folder name)." }),
    domain: Flags.string({ description: "Site address Caddy serves (default localhost)." }),
    https: Flags.string({ description: "HTTPS mode.", options: ["auto", "internal", "off"] }),
    "http-port": Flags.integer({ description: "Host port for HTTP (default 80).", min: 1, max: 65535 }),
    "https-port": Flags.integer({ description: "Host port for HTTPS (default 443).", min: 1, max: 65535 }),
    with: Flags.string({ description: "Addons: a comma list of prometheus,grafana,elk,jenkins, or all." }),
    yes: Flags.boolean({ char: "y", description: "Do not ask; take the defaults for anything not given." }),
    force: Flags.boolean({
      description:
        "Allow a non-empty folder (replaces stack.yaml; keeps .env values and existing services/).",
    }),
    render: Flags.boolean({
      description: "Render the generated files after creating.",
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<InitCommandResult> {
    const { flags } = this;
    const dir = this.args.dir;
    const interactive = !flags.yes && !this.jsonEnabled() && canPrompt();
    const given = {
      template: flags.template === undefined ? undefined : parseTemplateName(flags.template),
      addons: flags.with === undefined ? undefined : parseAddonList(flags.with),
    };
    const answers = interactive
      ? await withPrompts((ask) => askMissing(ask, dir, { ...given, name: flags.name, domain: flags.domain }))
      : {
          template: given.template ?? "monolith",
          name: flags.name ?? defaultProjectName(dir),
          domain: flags.domain ?? "localhost",
          addons: given.addons ?? [],
        };
    const result = await initStack({
      dir,
      ...answers,
      https: (flags.https ?? "auto") as StarterOptions["https"],
      httpPort: flags["http-port"] ?? 80,
      httpsPort: flags["https-port"] ?? 443,
      force: flags.force,
    });

    let rendered: string[] = [];
    if (flags.render) {
      const report = await renderStack(await loadStack(result.dir));
      rendered = report.files.filter((f) => f.status !== "removed").map((f) => f.path);
    }
    this.printSummary(result, rendered);
    return { ...result, rendered };
  }

  private printSummary(result: InitResult, rendered: string[]): void {
    const where = relative(process.cwd(), result.dir) || ".";
    const addons = result.addons.length > 0 ? ` with ${result.addons.join(", ")}` : "";
    this.say(`✓ Created stack "${result.name}" (${result.template}${addons}) in ${where}`);
    for (const path of result.written)
      this.say(`  ${path}${path === ".env" ? "  (random secrets, mode 600)" : ""}`);
    for (const path of result.kept) this.say(`  ${path}  (kept as it was)`);
    if (rendered.length > 0) this.say(`  + ${rendered.length} generated files (compose.yaml, config/…)`);
    const https = result.https !== "off";
    const port = https ? result.ports.https : result.ports.http;
    const origin = `${https ? "https" : "http"}://${result.domain}${port === (https ? 443 : 80) ? "" : `:${port}`}`;
    this.say("");
    this.say("Next:");
    if (where !== ".") this.say(`  cd ${where}`);
    if (rendered.length === 0) this.say("  stack render");
    this.say("  stack up");
    const insecure = https && result.domain === "localhost" ? "-k " : "";
    this.say(
      `  curl ${insecure}${origin}${result.template === "monolith" ? "/api/health" : "/api/users/health"}`,
    );
  }
}

async function askMissing(
  ask: Ask,
  dir: string,
  given: { template?: TemplateName; name?: string; domain?: string; addons?: AddonName[] },
): Promise<{ template: TemplateName; name: string; domain: string; addons: AddonName[] }> {
  const template =
    given.template ??
    parseTemplateName(
      await ask(`Template (${TEMPLATE_NAMES.join(" / ")})`, "monolith", (a) =>
        TEMPLATE_NAMES.includes(a as TemplateName) ? undefined : `choose ${TEMPLATE_NAMES.join(" or ")}`,
      ),
    );
  const name =
    given.name ?? (await ask("Project name", defaultProjectName(dir), (a) => fieldProblem("name", a)));
  const domain = given.domain ?? (await ask("Domain", "localhost", (a) => fieldProblem("domain", a)));
  const addons =
    given.addons ??
    parseAddonList(
      await ask("Addons (prometheus,grafana,elk,jenkins | all | none)", "none", (a) => {
        try {
          parseAddonList(a);
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      }),
    );
  return { template, name, domain, addons };
}

import { Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { stackDirFlag } from "../cli/flags.js";
import { GatestackError } from "../errors.js";
import { checkAgainstOpenApi } from "../render/openapi-check.js";
import { type ValidateReport, validateStack } from "../render/validate.js";
import { formatIssue, StackInvalidError, type StackIssue, sortIssues } from "../stack/issues.js";

export default class Validate extends BaseCommand<typeof Validate> {
  static override summary = "Check stack.yaml, its .env references, plugin configs and the generated files.";
  static override description =
    "Reports every problem, one per line as file:line:col: key.path: message, and exits 1 when there is any. " +
    "Variables stack.yaml needs are read from .env, and from the environment where .env lacks them (CI). " +
    "Warnings (e.g. an acl group no consumer holds) are printed but do not fail.";
  static override examples = [
    "<%= config.bin %> validate",
    "<%= config.bin %> validate --dir shop --json",
    "<%= config.bin %> validate --openapi",
    "<%= config.bin %> validate --openapi-file users=users-openapi.json",
  ];

  static override flags = {
    dir: stackDirFlag(),
    "render-check": Flags.boolean({
      description: "Also check that the generated files are current and accepted by the gateway.",
      default: true,
      allowNo: true,
    }),
    openapi: Flags.boolean({
      description:
        "Also check each service's routes against its running app's OpenAPI document (fetched through Caddy: <site><prefix>/openapi.json).",
    }),
    "openapi-file": Flags.string({
      description:
        "SERVICE=FILE|URL: check SERVICE against this OpenAPI document instead (repeatable; works offline).",
      multiple: true,
    }),
  };

  async run(): Promise<ValidateReport> {
    let report: ValidateReport;
    try {
      report = await validateStack(this.flags.dir, {
        rendered: this.flags["render-check"],
        environment: process.env,
      });
    } catch (err) {
      if (err instanceof StackInvalidError) this.printWarnings(err.warnings);
      throw err;
    }
    const sources = openApiSources(this.flags["openapi-file"] ?? []);
    if (this.flags.openapi || Object.keys(sources).length > 0) {
      const openapi = await checkAgainstOpenApi(this.flags.dir, { all: this.flags.openapi, sources });
      report = {
        ...report,
        checks: [...report.checks, "openapi"],
        warnings: sortIssues([...report.warnings, ...openapi.warnings]),
      };
    }
    this.printWarnings(report.warnings);
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    this.say(
      `✓ stack.yaml is valid: ${plural(report.services, "service")}, ` +
        `${plural(report.routes, "route")}, ${plural(report.consumers, "consumer")} (checked ${report.checks.join(", ")})`,
    );
    return report;
  }

  private printWarnings(warnings: readonly StackIssue[]): void {
    for (const warning of warnings) this.note(`⚠ ${formatIssue(warning)}`);
  }
}

/** `--openapi-file users=openapi.json` → { users: "openapi.json" }. */
function openApiSources(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf("=");
    if (at <= 0 || at === value.length - 1) {
      throw new GatestackError("E_USAGE", `--openapi-file expects SERVICE=FILE|URL (got "${value}")`, {
        exitCode: 2,
        hint: "e.g. --openapi-file users=users-openapi.json",
      });
    }
    out[value.slice(0, at)] = value.slice(at + 1);
  }
  return out;
}

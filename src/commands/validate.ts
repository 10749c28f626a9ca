import { Flags } from "@oclif/core";
import { BaseCommand } from "../cli/base-command.js";
import { stackDirFlag } from "../cli/flags.js";
import { type ValidateReport, validateStack } from "../render/validate.js";
import { formatIssue, StackInvalidError, type StackIssue } from "../stack/issues.js";

export default class Validate extends BaseCommand<typeof Validate> {
  static override summary = "Check stack.yaml, its .env references, plugin configs and the generated files.";
  static override description =
    "Reports every problem, one per line as file:line:col: key.path: message, and exits 1 when there is any. " +
    "Variables stack.yaml needs are read from .env, and from the environment where .env lacks them (CI). " +
    "Warnings (e.g. an acl group no consumer holds) are printed but do not fail.";
  static override examples = ["<%= config.bin %> validate", "<%= config.bin %> validate --dir shop --json"];

  static override flags = {
    dir: stackDirFlag(),
    "render-check": Flags.boolean({
      description: "Also check that the generated files are current and accepted by the gateway.",
      default: true,
      allowNo: true,
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

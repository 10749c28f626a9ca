import { writeFile } from "node:fs/promises";
import { Flags } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { gatewayAdminFlags, selectTagFlag } from "../../cli/gateway-admin-flags.js";
import { GatestackError } from "../../errors.js";
import { dumpYaml } from "../../gateway-client/dump.js";
import { dumpGateway } from "../../gateway-client/sync.js";

interface DumpResult {
  file: string | null;
  counts: Record<string, number>;
  redacted: number;
  document: Record<string, unknown>;
}

export default class GatewayDump extends BaseCommand<typeof GatewayDump> {
  static override summary =
    "Write a running gateway's state as a Kong declarative file (like `deck gateway dump`).";

  static override description =
    `Reads every entity through the Admin API (paginated) and writes one declarative YAML
document (_format_version "3.0"): flat lists per kind, every entity with its id, references as
{ id }, sorted, so the same state always dumps to the same text and \`stack gateway sync\` of it
changes nothing. Secrets are written as the Admin API returns them. --select-tag keeps only the
entities carrying that tag. Without -o the document goes to stdout.`;

  static override examples = [
    "<%= config.bin %> gateway dump -o live.yaml",
    "<%= config.bin %> gateway dump --select-tag gatestack-managed",
  ];

  static override flags = {
    ...gatewayAdminFlags(),
    "select-tag": selectTagFlag({ required: false }),
    output: Flags.string({ char: "o", description: "Write the document to this file (default: stdout)." }),
  };

  async run(): Promise<DumpResult> {
    const dump = await dumpGateway({
      adminUrl: this.flags["admin-url"],
      adminToken: this.flags["admin-token"],
      selectTag: this.flags["select-tag"],
    });
    const text = dumpYaml(dump.document);
    const file = this.flags.output ?? null;
    if (file !== null) {
      try {
        await writeFile(file, text);
      } catch (e) {
        throw new GatestackError("E_IO", `cannot write the file (${(e as NodeJS.ErrnoException).code})`, {
          place: file,
        });
      }
      const counts = Object.entries(dump.counts)
        .map(([k, v]) => `${v} ${k}`)
        .join(", ");
      this.note(`✓ wrote ${file}: ${counts || "no entities"}`);
    } else if (!this.jsonEnabled()) {
      process.stdout.write(text);
    }
    if (dump.redacted > 0)
      this.note(`! ${dump.redacted} value(s) were redacted by the Admin API; the file cannot recreate them`);
    return {
      file,
      counts: dump.counts as Record<string, number>,
      redacted: dump.redacted,
      document: dump.document,
    };
  }
}

import { writeFile } from "node:fs/promises";
import { Flags } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { stackDirFlag } from "../../cli/flags.js";
import { gatewayTargetFlags, selectTagFlag } from "../../cli/gateway-admin-flags.js";
import { inNetworkFlag, isStackFolder, stackGateways } from "../../cli/gateway-target.js";
import { GatestackError } from "../../errors.js";
import type { AdminClient } from "../../gateway-client/admin-client.js";
import { dumpYaml } from "../../gateway-client/dump.js";
import { DEFAULT_ADMIN_URL, dumpGateway } from "../../gateway-client/sync.js";

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
entities carrying that tag. Without -o the document goes to stdout.
Which gateway: --admin-url; else, in a stack folder, a running replica of the stack (the first, or
--replica N; through Docker as \`stack health\` reaches it, --in-network by container name); else
${DEFAULT_ADMIN_URL}.`;

  static override examples = [
    "<%= config.bin %> gateway dump -o live.yaml",
    "<%= config.bin %> gateway dump --select-tag gatestack-managed",
    "<%= config.bin %> gateway dump --dir ./shop --replica 2",
  ];

  static override flags = {
    ...gatewayTargetFlags(),
    "select-tag": selectTagFlag({ required: false }),
    output: Flags.string({ char: "o", description: "Write the document to this file (default: stdout)." }),
    dir: stackDirFlag(),
    replica: Flags.integer({
      description: "In a stack folder: the replica to dump (default: the first running).",
      min: 1,
    }),
    "in-network": inNetworkFlag(),
  };

  async run(): Promise<DumpResult> {
    const { name, client } = await this.gateway();
    const dump = await dumpGateway({
      adminUrl: client?.base ?? name,
      adminToken: this.flags["admin-token"],
      selectTag: this.flags["select-tag"],
      ...(client ? { client } : {}),
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

  /** --admin-url, else the stack folder's replica, else the default URL. */
  private async gateway(): Promise<{ name: string; client?: AdminClient }> {
    const url = this.flags["admin-url"];
    if (url !== undefined || !(await isStackFolder(this.flags.dir)))
      return { name: url ?? DEFAULT_ADMIN_URL };
    const target = await stackGateways(this.flags.dir, {
      adminToken: this.flags["admin-token"],
      inNetwork: this.flags["in-network"],
    });
    const wanted = this.flags.replica;
    const replica =
      wanted === undefined ? target.replicas[0] : target.replicas.find((r) => r.name === `gateway-${wanted}`);
    if (replica === undefined)
      throw new GatestackError("E_USAGE", `no running replica gateway-${wanted}`, {
        exitCode: 2,
        hint: `running: ${target.replicas.map((r) => r.name).join(", ") || "none"}`,
      });
    return replica;
  }
}

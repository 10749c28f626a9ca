import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { gatewayAdminFlags, selectTagFlag } from "../../cli/gateway-admin-flags.js";
import { pluginDirsFlag, pluginRegistryOf } from "../../cli/plugin-dirs.js";
import { DEFAULT_SELECT_TAG, type SyncResult, syncGateway } from "../../gateway-client/sync.js";

const SIGN = { create: "+", update: "~", delete: "-" } as const;

export default class GatewaySync extends BaseCommand<typeof GatewaySync> {
  static override summary =
    "Make a running gateway's state what a declarative file says (like `deck gateway sync`).";

  static override description =
    `For a gateway in database mode (\`stack gateway serve --database postgres\`), through its
Admin API. Every entity of FILE is tagged with --select-tag and written at the id the gateway's
loader gives it (PUT, parents first); gateway entities with that tag but absent from FILE are
deleted (children first); entities without the tag — those created through the Admin API — are
never changed. A FILE entity whose id or unique key (name, username, key, plugin scope) belongs
to an untagged gateway entity is an error before anything is written. Unchanged entities are not
written: a second sync writes nothing. --dry-run prints the plan only.`;

  static override examples = [
    "<%= config.bin %> gateway sync config/gateway/gateway.yaml --dry-run",
    "GATEWAY_ADMIN_TOKEN=… <%= config.bin %> gateway sync kong.yml --admin-url http://127.0.0.1:8001",
    "<%= config.bin %> gateway sync kong.yml --select-tag team-a --json",
  ];

  static override args = {
    file: Args.string({ description: "Declarative config file (YAML or JSON).", required: true }),
  };

  static override flags = {
    ...gatewayAdminFlags(),
    "select-tag": selectTagFlag({ required: true }),
    "dry-run": Flags.boolean({
      description: "Print the plan (create/update/delete per entity); write nothing.",
    }),
    "plugin-dirs": pluginDirsFlag(),
  };

  async run(): Promise<SyncResult> {
    const registry = await pluginRegistryOf(this.flags["plugin-dirs"], (line) => this.note(line));
    const result = await syncGateway({
      file: this.args.file,
      adminUrl: this.flags["admin-url"],
      adminToken: this.flags["admin-token"],
      selectTag: this.flags["select-tag"] ?? DEFAULT_SELECT_TAG,
      dryRun: this.flags["dry-run"],
      plugins: registry.get,
    });
    for (const c of result.changes) {
      const fields = c.fields ? ` (${c.fields.join(", ")})` : "";
      this.say(`${SIGN[c.action]} ${c.action} ${c.label}${fields}`);
    }
    const { create, update, delete: del, unchanged } = result.summary;
    const what = `${create} created, ${update} updated, ${del} deleted, ${unchanged} unchanged`;
    this.say(result.dryRun ? `dry run: would be ${what}; nothing written` : `✓ ${what}`);
    return result;
  }
}

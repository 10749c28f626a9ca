import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { stackDirFlag } from "../../cli/flags.js";
import { gatewayTargetFlags, selectTagFlag } from "../../cli/gateway-admin-flags.js";
import { diffLines, pushLine } from "../../cli/gateway-report.js";
import { inNetworkFlag, renderedGatewayConfig, stackGateways } from "../../cli/gateway-target.js";
import { pluginDirsFlag, pluginRegistryOf } from "../../cli/plugin-dirs.js";
import { GatestackError } from "../../errors.js";
import { diffReplicas, type ReplicaDiff } from "../../gateway-client/replica-diff.js";
import { type ReplicasSyncResult, syncReplicas } from "../../gateway-client/replica-sync.js";
import {
  DEFAULT_ADMIN_URL,
  DEFAULT_SELECT_TAG,
  type SyncResult,
  syncGateway,
} from "../../gateway-client/sync.js";

const SIGN = { create: "+", update: "~", delete: "-" } as const;

/** A stack folder's sync: every replica's outcome (a dry run: each replica's diff). */
export interface StackSyncResult extends Partial<ReplicasSyncResult> {
  file: string;
  dryRun: boolean;
  /** --dry-run: what each replica would change */
  diffs?: ReplicaDiff[];
  stopped: string[];
}

export default class GatewaySync extends BaseCommand<typeof GatewaySync> {
  static override summary =
    "Make a running gateway's state what a declarative file says (like `deck gateway sync`).";

  static override description =
    `In a stack folder, without FILE: config/gateway/gateway.yaml to every running gateway replica
of the stack (found through Docker as \`stack health\` finds them, reached inside each container;
--in-network: by container name, from a container on the stack's network such as Jenkins).
DB-less, each replica gets the whole file (POST /config) and must then report its
configuration_hash; in database mode the file is synced once, as below, and every replica must
then report the same hash as the one synced through. One line per replica; exit 1 when one
failed. --dry-run shows each replica's diff instead.

With FILE, for a gateway in database mode (\`stack gateway serve --database postgres\`), through
its Admin API (--admin-url). Every entity of FILE is tagged with --select-tag and written at the id
the gateway's loader gives it (PUT, parents first); gateway entities with that tag but absent from
FILE are deleted (children first); entities without the tag — those created through the Admin API —
are never changed. A FILE entity whose id or unique key (name, username, key, plugin scope) belongs
to an untagged gateway entity is an error before anything is written. Unchanged entities are not
written: a second sync writes nothing. --dry-run prints the plan only.`;

  static override examples = [
    "<%= config.bin %> gateway sync",
    "<%= config.bin %> gateway sync --dir ./shop --json",
    "<%= config.bin %> gateway sync config/gateway/gateway.yaml --dry-run",
    "GATEWAY_ADMIN_TOKEN=… <%= config.bin %> gateway sync kong.yml --admin-url http://127.0.0.1:8001",
    "<%= config.bin %> gateway sync kong.yml --select-tag team-a --json",
  ];

  static override args = {
    file: Args.string({
      description: "Declarative config file (YAML or JSON); default: the stack's rendered one.",
    }),
  };

  static override flags = {
    ...gatewayTargetFlags(),
    "select-tag": selectTagFlag({ required: true }),
    "dry-run": Flags.boolean({
      description: "Print the plan (create/update/delete per entity); write nothing.",
    }),
    "plugin-dirs": pluginDirsFlag(),
    dir: stackDirFlag(),
    "in-network": inNetworkFlag(),
  };

  async run(): Promise<SyncResult | StackSyncResult> {
    if (this.args.file === undefined) return this.syncStack();
    const registry = await pluginRegistryOf(this.flags["plugin-dirs"], (line) => this.note(line));
    const result = await syncGateway({
      file: this.args.file,
      adminUrl: this.flags["admin-url"] ?? DEFAULT_ADMIN_URL,
      adminToken: this.flags["admin-token"],
      selectTag: this.flags["select-tag"] ?? DEFAULT_SELECT_TAG,
      dryRun: this.flags["dry-run"],
      plugins: registry.get,
    });
    this.printPlan(result);
    return result;
  }

  private async syncStack(): Promise<StackSyncResult> {
    if (this.flags["admin-url"] !== undefined)
      throw new GatestackError("E_USAGE", "--admin-url needs a FILE to sync", {
        exitCode: 2,
        hint: "`stack gateway sync FILE --admin-url URL`, or no --admin-url in a stack folder (every replica)",
      });
    const registry = await pluginRegistryOf(this.flags["plugin-dirs"], (line) => this.note(line));
    const target = await stackGateways(this.flags.dir, {
      adminToken: this.flags["admin-token"],
      inNetwork: this.flags["in-network"],
    });
    if (target.engine === "kong")
      throw new GatestackError(
        "E_GATEWAY_ADMIN",
        "gateway.engine is kong: its Admin API is not written here",
        {
          hint: "sync a Kong gateway with decK (deck gateway sync), or recreate it to load the file",
        },
      );
    const { text, place } = await renderedGatewayConfig(target.loaded);
    const selectTag = this.flags["select-tag"] ?? DEFAULT_SELECT_TAG;
    for (const name of target.stopped) this.note(`! ${name} is not running: not synced`);
    if (this.flags["dry-run"]) {
      const diffs = await diffReplicas(target.replicas, {
        text,
        place,
        plugins: registry.get,
        selectTag: target.database ? selectTag : undefined,
        compareHash: !target.database,
        env: { ...target.loaded.env, ...process.env },
      });
      for (const d of diffs) for (const line of diffLines(d)) this.say(line);
      this.say("dry run: nothing written");
      if (diffs.some((d) => d.error !== undefined)) process.exitCode = 1;
      return { file: place, dryRun: true, diffs, stopped: target.stopped };
    }
    const result = await syncReplicas(target.replicas, {
      text,
      place,
      plugins: registry.get,
      database: target.database,
      selectTag,
    });
    if (result.sync) this.printPlan(result.sync);
    for (const r of result.replicas) this.say(pushLine(r));
    if (!result.ok) process.exitCode = 1;
    return { file: place, dryRun: false, ...result, stopped: target.stopped };
  }

  private printPlan(result: SyncResult): void {
    for (const c of result.changes) {
      const fields = c.fields ? ` (${c.fields.join(", ")})` : "";
      this.say(`${SIGN[c.action]} ${c.action} ${c.label}${fields}`);
    }
    const { create, update, delete: del, unchanged } = result.summary;
    const what = `${create} created, ${update} updated, ${del} deleted, ${unchanged} unchanged`;
    this.say(result.dryRun ? `dry run: would be ${what}; nothing written` : `✓ ${what}`);
  }
}

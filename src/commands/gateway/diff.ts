import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { stackDirFlag } from "../../cli/flags.js";
import { gatewayTargetFlags } from "../../cli/gateway-admin-flags.js";
import { diffLines } from "../../cli/gateway-report.js";
import {
  inNetworkFlag,
  renderedGatewayConfig,
  singleGateway,
  stackGateways,
} from "../../cli/gateway-target.js";
import { pluginDirsFlag, pluginRegistryOf } from "../../cli/plugin-dirs.js";
import { GatestackError } from "../../errors.js";
import { readDeclarativeFile } from "../../gateway-client/desired.js";
import { gatewayInfo } from "../../gateway-client/gateway-info.js";
import { diffReplicas, type ReplicaDiff } from "../../gateway-client/replica-diff.js";
import { DEFAULT_ADMIN_URL, DEFAULT_SELECT_TAG } from "../../gateway-client/sync.js";

export interface GatewayDiffResult {
  file: string;
  mode: "dbless" | "database";
  different: boolean;
  replicas: ReplicaDiff[];
  /** gateway containers of the stack that are not running (not compared) */
  stopped: string[];
}

export default class GatewayDiff extends BaseCommand<typeof GatewayDiff> {
  static override summary =
    "Compare the rendered gateway config with what each running replica serves (like `deck gateway diff`).";

  static override description =
    `In a stack folder: config/gateway/gateway.yaml against every running gateway replica of the
stack (found through Docker as \`stack health\` finds them, read from inside each container; with
--in-network by container name), entity by entity: services, routes, upstreams, targets, consumers,
their credentials and plugins added, changed (each field, old → new) or removed. Secrets are never
printed: values are shown as the Admin API shows them, redacted. DB-less, each replica's
configuration_hash is compared too. In database mode only the entities tagged gatestack-managed
(--select-tag) are the file's: those made through the Admin API are not compared.
With FILE: that file against the one gateway at --admin-url.
Exit 0 when every replica serves the file, 2 when one differs, 1 when one cannot be read.`;

  static override examples = [
    "<%= config.bin %> gateway diff",
    "<%= config.bin %> gateway diff --dir ./shop --json",
    "<%= config.bin %> gateway diff kong.yml --admin-url http://127.0.0.1:8001",
  ];

  static override args = {
    file: Args.string({
      description: "Declarative config file (default: the stack's rendered gateway.yaml).",
    }),
  };

  static override flags = {
    dir: stackDirFlag(),
    ...gatewayTargetFlags(),
    "select-tag": Flags.string({
      description: `Database mode: the tag of the entities the file owns (default ${DEFAULT_SELECT_TAG}).`,
    }),
    "in-network": inNetworkFlag(),
    "plugin-dirs": pluginDirsFlag(),
  };

  async run(): Promise<GatewayDiffResult> {
    const registry = await pluginRegistryOf(this.flags["plugin-dirs"], (line) => this.note(line));
    const token = this.flags["admin-token"];
    const tag = this.flags["select-tag"] ?? DEFAULT_SELECT_TAG;
    let result: GatewayDiffResult;
    if (this.args.file !== undefined) {
      const file = this.args.file;
      const gateway = singleGateway(this.flags["admin-url"] ?? DEFAULT_ADMIN_URL, token);
      const text = await readDeclarativeFile(file);
      const info = await gatewayInfo(gateway.client);
      const database = info.database !== null && info.database !== "off";
      const replicas = await diffReplicas([gateway], {
        text,
        place: file,
        plugins: registry.get,
        selectTag: database ? tag : undefined,
        // the gatestack gateway says whether it wants a token; Kong's hash is not the file's
        compareHash: !database && info.adminAuth !== null,
        env: process.env,
      });
      result = { file, mode: database ? "database" : "dbless", different: false, replicas, stopped: [] };
    } else {
      if (this.flags["admin-url"] !== undefined)
        throw new GatestackError("E_USAGE", "--admin-url needs a FILE to compare with", {
          exitCode: 2,
          hint: "`stack gateway diff FILE --admin-url URL`, or no --admin-url in a stack folder (every replica)",
        });
      const target = await stackGateways(this.flags.dir, {
        adminToken: token,
        inNetwork: this.flags["in-network"],
      });
      const { text, place } = await renderedGatewayConfig(target.loaded);
      const replicas = await diffReplicas(target.replicas, {
        text,
        place,
        plugins: registry.get,
        selectTag: target.database ? tag : undefined,
        compareHash: !target.database && target.engine === "gatestack",
        // what compose gives the containers: the shell's variables over .env's
        env: { ...target.loaded.env, ...process.env },
      });
      result = {
        file: place,
        mode: target.database ? "database" : "dbless",
        different: false,
        replicas,
        stopped: target.stopped,
      };
    }
    result.different = result.replicas.some((r) => r.error === undefined && !r.equal);
    for (const r of result.replicas) for (const line of diffLines(r)) this.say(line);
    for (const name of result.stopped) this.note(`! ${name} is not running: not compared`);
    process.exitCode = result.replicas.some((r) => r.error !== undefined) ? 1 : result.different ? 2 : 0;
    return result;
  }
}

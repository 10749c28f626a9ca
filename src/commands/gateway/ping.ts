import { BaseCommand } from "../../cli/base-command.js";
import { stackDirFlag } from "../../cli/flags.js";
import { gatewayTargetFlags } from "../../cli/gateway-admin-flags.js";
import { inNetworkFlag, isStackFolder, singleGateway, stackGateways } from "../../cli/gateway-target.js";
import { type GatewayInfo, gatewayInfo } from "../../gateway-client/gateway-info.js";
import { type ReplicaError, replicaError } from "../../gateway-client/replica.js";
import { DEFAULT_ADMIN_URL } from "../../gateway-client/sync.js";

export interface PingAnswer extends Partial<GatewayInfo> {
  replica: string;
  reachable: boolean;
  error?: ReplicaError;
}

export interface GatewayPingResult {
  ok: boolean;
  replicas: PingAnswer[];
}

export default class GatewayPing extends BaseCommand<typeof GatewayPing> {
  static override summary =
    "Check that a gateway's Admin API answers: version, database mode (like `deck gateway ping`).";

  static override description =
    `Asks the Admin API for its root (version, configuration.database: off for DB-less, postgres)
and /status (the configuration_hash served, whether its database is reachable). With --admin-url,
that gateway; in a stack folder, every running gateway replica of the stack (through Docker, as
\`stack health\` reaches them; --in-network by container name); elsewhere ${DEFAULT_ADMIN_URL}.
Exit 0 when every one answers, 1 when one does not (or refuses the admin token).`;

  static override examples = [
    "<%= config.bin %> gateway ping",
    "<%= config.bin %> gateway ping --admin-url http://127.0.0.1:8001 --json",
  ];

  static override flags = {
    dir: stackDirFlag(),
    ...gatewayTargetFlags(),
    "in-network": inNetworkFlag(),
  };

  async run(): Promise<GatewayPingResult> {
    const token = this.flags["admin-token"];
    const url = this.flags["admin-url"];
    const replicas =
      url === undefined && (await isStackFolder(this.flags.dir))
        ? (await stackGateways(this.flags.dir, { adminToken: token, inNetwork: this.flags["in-network"] }))
            .replicas
        : [singleGateway(url ?? DEFAULT_ADMIN_URL, token)];
    const answers = await Promise.all(
      replicas.map(async (r): Promise<PingAnswer> => {
        try {
          return { replica: r.name, reachable: true, ...(await gatewayInfo(r.client)) };
        } catch (e) {
          return { replica: r.name, reachable: false, error: replicaError(e) };
        }
      }),
    );
    for (const a of answers) {
      if (!a.reachable) {
        this.say(`✗ ${a.replica}: ${a.error?.message}`);
        if (a.error?.hint) this.say(`  hint: ${a.error.hint}`);
        continue;
      }
      const mode = a.database === "off" ? "DB-less" : `database ${a.database ?? "unknown"}`;
      const reach = a.databaseReachable === false ? " (unreachable)" : "";
      const hash = a.configurationHash ? `, serves ${a.configurationHash.slice(0, 12)}` : "";
      this.say(`✓ ${a.replica}: version ${a.version ?? "unknown"}, ${mode}${reach}${hash}`);
    }
    const ok = answers.every((a) => a.reachable);
    if (!ok) process.exitCode = 1;
    return { ok, replicas: answers };
  }
}

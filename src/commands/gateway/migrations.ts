import { Args } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { postgresSettings } from "../../cli/gateway-serve-options.js";
import { postgresFlags } from "../../cli/postgres-flags.js";
import {
  bootstrap,
  type MigrationsStatus,
  migrationsStatus,
  notReadyError,
  up,
} from "../../gateway/store/postgres/migrations.js";

interface MigrationsResult {
  action: "bootstrap" | "up" | "status";
  ran: string[];
  status: MigrationsStatus;
}

export default class GatewayMigrations extends BaseCommand<typeof GatewayMigrations> {
  static override summary = "Prepare the PostgreSQL database of database mode (like `kong migrations`).";

  static override description = `bootstrap  create the schema in an empty database (once)
up         apply the migrations a newer gateway brings
status     list executed and pending migrations (exit 3 when the database is not ready)

Connects with Kong's settings (KONG_PG_HOST, KONG_PG_PORT, KONG_PG_USER, KONG_PG_PASSWORD,
KONG_PG_DATABASE, KONG_PG_SSL; also GATEWAY_PG_* and the flags). bootstrap and up hold a
PostgreSQL advisory lock while they run, so two nodes started together never migrate at once:
the second waits and finds nothing left to do. \`stack gateway serve --database postgres\` refuses
to start on a database that is not bootstrapped or has pending migrations, saying which to run.`;

  static override examples = [
    "KONG_PG_HOST=db KONG_PG_PASSWORD=… <%= config.bin %> gateway migrations bootstrap",
    "<%= config.bin %> gateway migrations up --pg-host db",
    "<%= config.bin %> gateway migrations status --json",
  ];

  static override args = {
    action: Args.string({
      description: "bootstrap | up | status",
      required: true,
      options: ["bootstrap", "up", "status"],
    }),
  };

  static override flags = { ...postgresFlags() };

  async run(): Promise<MigrationsResult> {
    const settings = postgresSettings(this.flags, process.env);
    const action = this.args.action as MigrationsResult["action"];
    if (action === "status") {
      const status = await migrationsStatus(settings);
      this.say(`${status.database}: ${status.bootstrapped ? "bootstrapped" : "not bootstrapped"}`);
      for (const m of status.executed) this.say(`  executed  ${m}`);
      for (const m of status.pending) this.say(`  pending   ${m}`);
      const notReady = notReadyError(status);
      if (notReady) {
        this.note(`! ${notReady.message}; ${notReady.hint}`);
        process.exitCode = 3;
      }
      return { action, ran: [], status };
    }
    if (action === "bootstrap") {
      const r = await bootstrap(settings);
      if (r.alreadyBootstrapped)
        this.say(`${r.status.database} is already bootstrapped (run \`migrations up\` for pending ones)`);
      else this.say(`✓ bootstrapped ${r.status.database}: ${r.ran.join(", ")}`);
      return { action, ran: r.ran, status: r.status };
    }
    const r = await up(settings);
    this.say(
      r.ran.length === 0
        ? `${r.status.database}: no pending migrations`
        : `✓ ${r.status.database}: ran ${r.ran.join(", ")}`,
    );
    return { action, ran: r.ran, status: r.status };
  }
}

import { Args, Flags } from "@oclif/core";
import { EventStreamCommand } from "../cli/event-stream-command.js";
import { stackDirFlag } from "../cli/flags.js";
import { type UpResult, up } from "../runtime/up.js";

export default class Up extends EventStreamCommand<typeof Up> {
  static override summary =
    "Render, build and start the stack on the local Docker engine; wait until it is healthy.";

  static override description =
    `Creates the networks, volumes and containers compose.yaml describes (merged with compose.override.yaml),
labelled like Docker Compose, so \`docker compose ps\` in the folder sees the same stack. Idempotent: unchanged
services are left alone, changed ones are recreated, replicas are added or removed to match.
With SERVICE names, only those services and what they depend on (a named service starts whatever its profiles),
as \`docker compose up SERVICE…\`. Addons run under compose profiles: --profile monitoring (Prometheus,
Grafana), logging (ELK), ci (Jenkins); any profile the compose files define, or '*' for every one.`;

  static override examples = [
    "<%= config.bin %> up --dir demo",
    "<%= config.bin %> up --profile monitoring",
    "<%= config.bin %> up --build --wait-timeout 300",
    "<%= config.bin %> up app   # only app and what it depends on",
    "<%= config.bin %> up --json   # JSON event lines, then the result",
  ];

  static override strict = false;

  static override args = {
    service: Args.string({ description: "Services to start (with their dependencies); default: all." }),
  };

  static override flags = {
    dir: stackDirFlag(),
    profile: Flags.string({
      description: "Enable a profile the compose files define, or '*' for every one (repeatable).",
      multiple: true,
    }),
    build: Flags.boolean({ description: "Rebuild the gateway and service images even when present." }),
    "no-wait": Flags.boolean({
      description: "Return once containers are started, without waiting for healthy.",
    }),
    "wait-timeout": Flags.integer({
      description: "Seconds to wait for dependencies and health (Compose's --wait-timeout).",
      default: 180,
      min: 1,
    }),
    timeout: Flags.integer({
      char: "t",
      description:
        "Seconds a container being replaced gets to stop before it is killed (Compose's --timeout); default its stop_grace_period.",
      min: 0,
    }),
    "remove-orphans": Flags.boolean({
      description: "Remove containers of services no longer in compose.yaml.",
    }),
    "force-recreate": Flags.boolean({ description: "Recreate every container even when unchanged." }),
  };

  async run(): Promise<UpResult> {
    const { argv } = await this.parse(Up);
    const services = [...new Set((argv as string[]).filter(Boolean))];
    const result = await this.withProgress(
      {
        message: "stack up was interrupted",
        hint: "containers started so far keep running and carry the stack's labels: `stack up` resumes, `stack down` removes them",
      },
      (reporter, signal) =>
        up({
          dir: this.flags.dir,
          reporter,
          profiles: this.flags.profile ?? [],
          services,
          build: this.flags.build,
          wait: !this.flags["no-wait"],
          waitTimeoutSeconds: this.flags["wait-timeout"],
          ...(this.flags.timeout !== undefined ? { stopTimeoutSeconds: this.flags.timeout } : {}),
          removeOrphans: this.flags["remove-orphans"],
          forceRecreate: this.flags["force-recreate"],
          signal,
        }),
    );
    this.printSummary(result);
    return result;
  }

  private printSummary(r: UpResult): void {
    const s = r.summary;
    const changed = s.create + s.recreate + s.start + s.remove;
    const seconds = (r.durationMs / 1000).toFixed(1);
    this.say(
      changed === 0
        ? `✓ ${r.project} is up: nothing to change (${s.keep} container${s.keep === 1 ? "" : "s"} running) in ${seconds} s`
        : `✓ ${r.project} is up in ${seconds} s: ${[
            s.create && `${s.create} created`,
            s.recreate && `${s.recreate} recreated`,
            s.start && `${s.start} started`,
            s.remove && `${s.remove} removed`,
            s.keep && `${s.keep} unchanged`,
          ]
            .filter(Boolean)
            .join(", ")}`,
    );
    this.say("");
    const width = Math.max(...r.urls.map((u) => u.name.length));
    for (const u of r.urls) this.say(`  ${u.name.padEnd(width)}  ${u.url}`);
    this.say("");
    this.say(
      `  Credentials: ${r.credentials.file} (${r.credentials.variables.map((v) => v.name).join(", ")})`,
    );
    for (const p of r.profilesNotStarted)
      this.say(`  Addons of profile ${p} are enabled in stack.yaml: add --profile ${p} to start them`);
    for (const p of r.profilesLeftRunning)
      this.say(
        `  Addons of profile ${p} keep running from an earlier up: --profile ${p} updates them, stack down stops them`,
      );
    this.say(
      `  Status: stack ps --dir ${r.dir}   Logs: stack logs -f --dir ${r.dir}   Stop: stack down --dir ${r.dir}`,
    );
  }
}

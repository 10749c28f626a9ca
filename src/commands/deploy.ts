import { Flags } from "@oclif/core";
import { EventStreamCommand } from "../cli/event-stream-command.js";
import { engineTargetFlags, stackDirFlag } from "../cli/flags.js";
import { type DeployResult, deploy } from "../runtime/swarm/deploy.js";

export default class Deploy extends EventStreamCommand<typeof Deploy> {
  static override summary =
    "Deploy the stack to a Docker Swarm (several machines): build, push, docker stack deploy, wait until converged.";

  static override description =
    `Renders deploy/swarm/ (stack.yml for \`docker stack deploy\`, and the Swarm variants of the Caddyfile,
gateway.yaml and prometheus.yml), then on the swarm manager — --host, --context, else DOCKER_HOST/DOCKER_CONTEXT:
builds the gateway and app images and pushes them to --registry (every node must be able to pull from it),
creates the credentials from .env as Swarm secrets, runs \`docker stack deploy --prune\`, and waits until every
service has all its tasks running, healthy and on the new spec. Re-running it rolls only what changed (start-first,
rolled back on failure); configs and secrets no service uses any more are removed afterwards.
No ingress mesh or virtual IPs are used: Caddy publishes in host mode on the managers, services resolve as tasks.<name>.`;

  static override examples = [
    "<%= config.bin %> deploy --host tcp://manager.example:2375 --registry registry.example:5000",
    "<%= config.bin %> deploy --context prod --registry registry.example:5000 --timeout 600",
    "DOCKER_HOST=ssh://ops@manager <%= config.bin %> deploy --registry registry.example:5000",
    "<%= config.bin %> deploy --json   # JSON event lines, then the result",
  ];

  static override flags = {
    dir: stackDirFlag(),
    ...engineTargetFlags(),
    registry: Flags.string({
      description:
        "Registry HOST[:PORT][/PATH] every node pulls the stack's images from (they are pushed there from the manager).",
    }),
    build: Flags.boolean({ description: "Rebuild the gateway and service images even when present." }),
    "no-wait": Flags.boolean({
      description: "Return once docker stack deploy accepted the stack, without waiting for convergence.",
    }),
    timeout: Flags.integer({
      description: "Seconds to wait until every service has converged.",
      default: 300,
      min: 1,
    }),
  };

  async run(): Promise<DeployResult> {
    const result = await this.withProgress(
      {
        message: "stack deploy was interrupted",
        hint: "what the swarm already received keeps running: `stack deploy` again resumes, `stack down` removes it",
      },
      (reporter, signal) =>
        deploy({
          dir: this.flags.dir,
          reporter,
          ...(this.flags.host !== undefined ? { host: this.flags.host } : {}),
          ...(this.flags.context !== undefined ? { context: this.flags.context } : {}),
          ...(this.flags.registry !== undefined ? { registry: this.flags.registry } : {}),
          build: this.flags.build,
          wait: !this.flags["no-wait"],
          timeoutSeconds: this.flags.timeout,
          signal,
        }),
    );
    const seconds = (result.durationMs / 1000).toFixed(1);
    const tasks = result.services.reduce((n, s) => n + s.running, 0);
    this.say(
      result.services.length > 0
        ? `✓ ${result.stack} is deployed on ${result.nodes} node(s) in ${seconds} s: ${result.services.length} services, ${tasks} tasks running`
        : `✓ ${result.stack}: docker stack deploy accepted the stack in ${seconds} s (not waiting: --no-wait)`,
    );
    this.say("");
    const width = Math.max(...result.urls.map((u) => u.name.length));
    for (const u of result.urls)
      this.say(`  ${u.name.padEnd(width)}  ${u.url}   (on every manager's address)`);
    if (result.removed.configs.length + result.removed.secrets.length > 0)
      this.say(
        `  Removed unused: ${result.removed.configs.length} config(s), ${result.removed.secrets.length} secret(s)`,
      );
    this.say(
      `  Status: stack ps --dir ${result.dir}   Logs: stack logs --dir ${result.dir}   (with the same --host/--context)`,
    );
    return result;
  }
}

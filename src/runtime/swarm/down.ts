/**
 * `stack down` of a Swarm deployment: `docker stack rm` (services, networks, configs and the secrets
 * carrying the stack's label — the ones `stack deploy` made included), then wait until its tasks are
 * gone and remove whatever of the stack is still left once nothing uses it. Volumes live on the nodes
 * and stay (each node's `docker volume rm`).
 */
import type Docker from "dockerode";
import { GatestackError } from "../../errors.js";
import type { Reporter } from "../progress.js";
import type { EngineTarget } from "./engine-target.js";
import { namespaceFilter, stackServices, stackTasks, swarmNodes } from "./resources.js";
import { stackRemove } from "./stack-cli.js";

export interface SwarmDownResult {
  stack: string;
  services: string[];
  /** nodes that are down: their tasks stop (and are cleaned up) when they come back */
  unreachableNodes: string[];
  leftovers: { configs: number; secrets: number; networks: number };
}

interface Named {
  ID: string;
  Spec?: { Name?: string };
  Name?: string;
}

export async function swarmDown(
  target: EngineTarget,
  stack: string,
  opts: { reporter: Reporter; cwd: string; timeoutMs?: number },
): Promise<SwarmDownResult> {
  const docker = target.docker;
  const services = (await stackServices(docker, stack)).map((s) => s.Spec.Name);
  const rm = opts.reporter.task("stack-rm", `docker stack rm ${stack}`);
  rm.running();
  await stackRemove(stack, { env: target.cliEnv, cwd: opts.cwd });
  rm.done(`${services.length} service(s)`);

  const wait = opts.reporter.task("tasks", "Tasks stopped and removed");
  wait.running();
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let leftovers = { configs: 0, secrets: 0, networks: 0 };
  let unreachableNodes: string[] = [];
  for (;;) {
    const nodes = await swarmNodes(docker);
    const down = new Set(nodes.filter((n) => n.Status?.State !== "ready").map((n) => n.ID));
    unreachableNodes = nodes.filter((n) => down.has(n.ID)).map((n) => n.Description?.Hostname ?? n.ID);
    // a task on a node that is down reports its last state forever: it stops when the node returns
    const tasks = (await stackTasks(docker, stack)).filter(
      (t) => t.Status?.State === "running" && !down.has(t.NodeID ?? ""),
    );
    leftovers = await removeLeftovers(docker, stack);
    const remaining = leftovers.configs + leftovers.secrets + leftovers.networks;
    if (tasks.length === 0 && remaining === 0) break;
    if (Date.now() >= deadline) {
      wait.fail();
      throw new GatestackError(
        "E_TIMEOUT",
        `stack ${stack} is not gone yet: ${tasks.length} task(s) running, ${remaining} config(s)/secret(s)/network(s) left`,
        { hint: "run `stack down` again in a moment (`docker stack ps` shows what still runs)" },
      );
    }
    wait.progress(`${tasks.length} task(s) still running`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  wait.done(
    unreachableNodes.length
      ? `nodes down: ${unreachableNodes.join(", ")} (their tasks stop when they return)`
      : undefined,
  );
  return { stack, services, unreachableNodes, leftovers };
}

/** Removes what of the stack nothing uses any more; counts what could not be removed yet. */
async function removeLeftovers(
  docker: Docker,
  stack: string,
): Promise<{ configs: number; secrets: number; networks: number }> {
  const filters = namespaceFilter(stack);
  const [configs, secrets, networks] = (await Promise.all([
    docker.listConfigs({ filters }),
    docker.listSecrets({ filters }),
    docker.listNetworks({ filters }),
  ])) as unknown as [Named[], Named[], Named[]];
  const left = { configs: 0, secrets: 0, networks: 0 };
  const tryRemove = async (remove: () => Promise<unknown>, kind: keyof typeof left) => {
    try {
      await remove();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) left[kind]++;
    }
  };
  for (const c of configs) await tryRemove(() => docker.getConfig(c.ID).remove(), "configs");
  for (const s of secrets) await tryRemove(() => docker.getSecret(s.ID).remove(), "secrets");
  for (const n of networks) await tryRemove(() => docker.getNetwork(n.ID).remove(), "networks");
  return left;
}

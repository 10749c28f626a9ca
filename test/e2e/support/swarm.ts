/**
 * A real multi-node Docker Swarm on this machine, for the Swarm end-to-end test: Docker-in-Docker
 * node containers (images/swarm-node) on a private bridge network, and a plain-HTTP registry
 * container (images/registry) they pull from. Only the manager's Engine API and the host-mode ports
 * asked for are published, on 127.0.0.1. Everything carries the label below and goes away in close().
 *
 * What the nodes need here (no --privileged on this machine): NET_ADMIN and SYS_ADMIN for the inner
 * daemon's networks and mounts, SYS_PTRACE so the inner runc may join a non-root container's
 * namespaces (docker exec, and so every healthcheck, fails with "setns process: exit status 1"
 * without it), seccomp/apparmor unconfined, the host's cgroup tree, and /var/lib/docker on a volume
 * (overlay2 cannot stack on the node's own overlay root).
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

export const SWARM_NODE_IMAGE = "gatestack-e2e/swarm-node:bookworm";
export const REGISTRY_IMAGE = "gatestack-e2e/registry:bookworm";
const LABEL = "dev.gatestack.e2e-swarm";
const BUILD_OFFLINE = fileURLToPath(new URL("../images/build-offline.sh", import.meta.url));

export interface SwarmNode {
  name: string;
  /** address on the nodes' network */
  ip: string;
}

export interface Swarm {
  /** DOCKER_HOST of the manager, as seen from this machine */
  managerHost: string;
  /** what the nodes call the registry (`--registry` of stack deploy) */
  registry: string;
  nodes: SwarmNode[];
  /** the 127.0.0.1 port each published manager port (host-mode service ports) is reachable on */
  published: Record<number, number>;
  /** `docker exec <node> …` on this machine's engine */
  onNode(node: string, args: string[]): Promise<string>;
  /** copy images of this machine's engine into the given nodes (docker save | docker load) */
  loadImages(images: string[], nodes?: string[]): Promise<void>;
  stopNode(node: string): Promise<void>;
  close(): Promise<void>;
}

async function docker(args: string[], input?: string): Promise<string> {
  const r = await execa("docker", args, { reject: false, ...(input !== undefined ? { input } : {}) });
  if (r.exitCode !== 0) throw new Error(`docker ${args.join(" ")}: ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Starts `nodeCount` nodes (the first is the manager, the others join as workers) and the registry.
 * `publishPorts`: manager ports to publish on 127.0.0.1 (the stack's host-mode ports).
 */
export async function startSwarm(opts: {
  id: string;
  nodeCount: number;
  publishPorts: number[];
}): Promise<Swarm> {
  execFileSync(BUILD_OFFLINE, ["swarm-node", "registry"], { stdio: ["ignore", "ignore", "inherit"] });
  const network = `gse2e-${opts.id}`;
  const registryName = `registry-${opts.id}`;
  const names = Array.from({ length: opts.nodeCount }, (_, i) => `gse2e-${opts.id}-n${i + 1}`);
  const cleanup = async () => {
    const ids = await docker(["ps", "-aq", "--filter", `label=${LABEL}=${opts.id}`]).catch(() => "");
    if (ids) await docker(["rm", "-f", "-v", ...ids.split("\n")]).catch(() => "");
    await docker(["network", "rm", network]).catch(() => "");
  };
  await cleanup();
  try {
    await docker(["network", "create", "--label", `${LABEL}=${opts.id}`, network]);
    await docker([
      "run",
      "-d",
      "--name",
      registryName,
      "--network",
      network,
      "--network-alias",
      "registry",
      "--label",
      `${LABEL}=${opts.id}`,
      REGISTRY_IMAGE,
    ]);
    const registry = "registry:5000";
    for (const [i, name] of names.entries()) {
      const publish =
        i === 0
          ? ["-p", "127.0.0.1::2375", ...opts.publishPorts.flatMap((p) => ["-p", `127.0.0.1::${p}`])]
          : [];
      await docker([
        "run",
        "-d",
        "--name",
        name,
        "--hostname",
        name,
        "--network",
        network,
        "--label",
        `${LABEL}=${opts.id}`,
        "--cap-add=NET_ADMIN",
        "--cap-add=SYS_ADMIN",
        "--cap-add=SYS_PTRACE",
        "--security-opt",
        "seccomp=unconfined",
        "--security-opt",
        "apparmor=unconfined",
        "-v",
        "/sys/fs/cgroup:/sys/fs/cgroup:rw",
        "-v",
        "/var/lib/docker",
        ...publish,
        SWARM_NODE_IMAGE,
        "dockerd",
        "--host=unix:///var/run/docker.sock",
        "--host=tcp://0.0.0.0:2375",
        "--tls=false",
        `--insecure-registry=${registry}`,
      ]);
    }
    for (const name of names) {
      await waitFor(
        `the daemon of ${name}`,
        async () => (await docker(["exec", name, "docker", "info", "--format", "{{.ID}}"])) !== "",
      );
    }
    const nodes: SwarmNode[] = [];
    for (const name of names) {
      nodes.push({
        name,
        ip: await docker([
          "inspect",
          "-f",
          `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
          name,
        ]),
      });
    }
    const manager = nodes[0]!;
    await docker(["exec", manager.name, "docker", "swarm", "init", "--advertise-addr", manager.ip]);
    const token = await docker(["exec", manager.name, "docker", "swarm", "join-token", "-q", "worker"]);
    for (const n of nodes.slice(1)) {
      await docker(["exec", n.name, "docker", "swarm", "join", "--token", token, `${manager.ip}:2377`]);
    }
    await waitFor(
      "every node Ready",
      async () =>
        (await docker(["exec", manager.name, "docker", "node", "ls", "--format", "{{.Status}}"]))
          .split("\n")
          .filter((s) => s === "Ready").length === nodes.length,
    );
    const port = async (p: number) =>
      Number((await docker(["port", manager.name, `${p}/tcp`])).split(":").pop());
    const published: Record<number, number> = {};
    for (const p of opts.publishPorts) published[p] = await port(p);
    return {
      managerHost: `tcp://127.0.0.1:${await port(2375)}`,
      registry,
      nodes,
      published,
      onNode: (node, args) => docker(["exec", node, ...args]),
      loadImages: async (images, only) => {
        for (const n of only ?? names) {
          await execa("sh", ["-c", `docker save ${images.join(" ")} | docker exec -i ${n} docker load`]);
        }
      },
      stopNode: async (node) => {
        await docker(["stop", "-t", "2", node]);
      },
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

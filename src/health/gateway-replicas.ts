/**
 * The gateway replicas of a running stack, for the commands that read or write each one
 * (`stack gateway diff`, `dump`, `sync`, `ping` in a stack folder), found as `stack health`
 * finds them: the project's `gateway` containers through Docker, each Admin API reached from
 * inside its container (it is not published). From a container on the stack's network (the
 * Jenkins addon, which has no Docker), `network`: each replica by its container name.
 */
import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import { AdminClient, type AdminTransport } from "../gateway-client/admin-client.js";
import type { GatewayReplica } from "../gateway-client/replica.js";
import { PORTS, replicaContainerName } from "../render/topology.js";
import { connectDocker, ensureEngine } from "../runtime/engine.js";
import type { LoadedStack } from "../stack/load.js";
import { replicasOf } from "./checks/context.js";
import { dockerExec, readProjectFacts } from "./docker.js";
import { replicaLabel } from "./facts.js";
import { InContainerHttp } from "./probe/in-container.js";
import { inContainerAdminTransport } from "./probe/in-container-admin.js";

export type ReplicaReach = "docker" | "network";

export interface FindReplicasOptions {
  reach: ReplicaReach;
  adminToken: string | undefined;
  /** per Admin API request (default 10 s) */
  timeoutMs?: number;
  /** docker: the engine (default DOCKER_HOST or the local socket) */
  docker?: Dockerode;
}

export interface StackReplicas {
  replicas: GatewayReplica[];
  /** docker: gateway containers that are not running (by name) */
  stopped: string[];
}

const ADMIN_IN_CONTAINER = `http://127.0.0.1:${PORTS.gatewayAdmin}`;
/** Kong's image has curl, not node: GETs through the health probes, whose bodies are capped at 64 KiB. */
const KONG_PAGE_SIZE = 100;

export async function findGatewayReplicas(
  loaded: LoadedStack,
  opts: FindReplicasOptions,
): Promise<StackReplicas> {
  const stack = loaded.config;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  if (opts.reach === "network") {
    const replicas = Array.from({ length: stack.gateway.replicas }, (_, i) => {
      const host = replicaContainerName(stack.name, "gateway", i + 1);
      return {
        name: `gateway-${i + 1}`,
        client: new AdminClient({
          url: `http://${host}:${PORTS.gatewayAdmin}`,
          token: opts.adminToken,
          timeoutMs,
        }),
      };
    });
    return { replicas, stopped: [] };
  }
  const docker = opts.docker ?? connectDocker();
  await ensureEngine(docker, 5000);
  const facts = replicasOf(await readProjectFacts(docker, stack.name), "gateway");
  const running = facts.filter((f) => f.running);
  if (running.length === 0) {
    throw new GatestackError(
      "E_STACK_NOT_RUNNING",
      facts.length === 0
        ? `stack "${stack.name}" has no gateway container`
        : `no gateway replica of stack "${stack.name}" is running`,
      { exitCode: 2, hint: "start it with `stack up` in the stack folder (or pass --dir)" },
    );
  }
  const exec = dockerExec(docker);
  const kong = stack.gateway.engine === "kong";
  const probes = kong ? new InContainerHttp(exec) : null;
  return {
    replicas: running.map((f) => ({
      name: replicaLabel(f),
      client: new AdminClient({
        url: ADMIN_IN_CONTAINER,
        token: opts.adminToken,
        timeoutMs,
        ...(kong ? { pageSize: KONG_PAGE_SIZE } : {}),
        transport: probes ? probeTransport(probes, f.id) : inContainerAdminTransport(exec, f.id),
      }),
    })),
    stopped: facts.filter((f) => !f.running).map((f) => f.name),
  };
}

/** GETs through the health probes (any HTTP client the container has). */
function probeTransport(probes: InContainerHttp, containerId: string): AdminTransport {
  return async (req) => {
    if (req.method !== "GET")
      throw new GatestackError("E_GATEWAY_ADMIN", "gateway.engine is kong: its Admin API is only read here", {
        hint: "write a Kong gateway's configuration with decK (deck gateway sync) or by recreating it",
      });
    const r = await probes.get(containerId, { url: req.url, headers: req.headers, timeoutMs: req.timeoutMs });
    if (!r.ok) throw new Error(r.error.message);
    return { status: r.status, text: r.body };
  };
}

/**
 * Where a stack runs on the engine a command reaches (--host/--context, else DOCKER_HOST/DOCKER_CONTEXT
 * or the local socket): as a Swarm stack when that engine is a swarm manager with services labelled
 * for it (`stack deploy`, or `docker stack deploy`), else as a compose project (`stack up`), so
 * `stack ps|logs|down` work on either without being told which.
 */
import type Docker from "dockerode";
import { ensureEngine } from "./engine.js";
import { type EngineTarget, type EngineTargetOptions, resolveEngineTarget } from "./swarm/engine-target.js";
import { stackServices } from "./swarm/resources.js";

export type Deployment = { kind: "compose"; docker: Docker } | { kind: "swarm"; target: EngineTarget };

export async function findDeployment(stack: string, opts: EngineTargetOptions = {}): Promise<Deployment> {
  const target = await resolveEngineTarget(opts);
  await ensureEngine(target.docker);
  const info = (await target.docker.info().catch(() => ({}))) as { Swarm?: { ControlAvailable?: boolean } };
  if (info.Swarm?.ControlAvailable === true && (await stackServices(target.docker, stack)).length > 0) {
    return { kind: "swarm", target };
  }
  return { kind: "compose", docker: target.docker };
}

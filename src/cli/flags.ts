import { Flags } from "@oclif/core";

/** `--dir/-d`: the stack folder a command works on (the one holding stack.yaml). */
export const stackDirFlag = () =>
  Flags.string({ char: "d", description: "Stack folder (the one holding stack.yaml).", default: "." });

/**
 * `--host` / `--context`: which Docker engine (a swarm manager for Swarm commands) — DOCKER_HOST's
 * and `docker --context`'s meanings; without them DOCKER_HOST / DOCKER_CONTEXT / the local socket.
 */
export const engineTargetFlags = () => ({
  host: Flags.string({
    char: "H",
    description: "Docker engine address (unix:///…, tcp://HOST:PORT, ssh://USER@HOST), as DOCKER_HOST.",
    exclusive: ["context"],
  }),
  context: Flags.string({
    description: "docker context to use (`docker context ls`), as DOCKER_CONTEXT.",
    exclusive: ["host"],
  }),
});

/**
 * Connecting to the Docker engine (DOCKER_HOST or the local socket) with an actionable error when
 * none answers.
 */
import { createRequire } from "node:module";
import type Docker from "dockerode";
import { GatestackError } from "../errors.js";

export type { default as Docker } from "dockerode";

/**
 * A client for DOCKER_HOST or the local socket. dockerode is loaded on first use: it pulls in gRPC
 * and protobuf, which commands that never talk to the engine should not pay for at startup.
 */
export function connectDocker(): Docker {
  const Dockerode = createRequire(import.meta.url)("dockerode") as typeof Docker;
  return new Dockerode();
}

const START_HINT =
  "start a Docker engine: `sudo systemctl start docker` (or `sudo dockerd &`); no engine installed? `sudo apt-get install docker.io` (Debian/Ubuntu) or see https://docs.docker.com/engine/install/";

/** Pings the engine (bounded by `timeoutMs`); throws E_DOCKER_UNREACHABLE saying how to start one. */
export async function ensureEngine(docker: Docker, timeoutMs = 5000): Promise<void> {
  const where = process.env.DOCKER_HOST ?? "/var/run/docker.sock";
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) =>
        setTimeout(
          () => reject(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })),
          timeoutMs,
        ).unref(),
      ),
    ]);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EACCES") {
      throw new GatestackError("E_DOCKER_UNREACHABLE", `permission denied on ${where}`, {
        hint: "add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again) or run as root",
        cause: err,
      });
    }
    const why =
      code === "ENOENT" || code === "ECONNREFUSED"
        ? "no Docker engine answers"
        : `the Docker engine did not answer (${(err as Error).message})`;
    throw new GatestackError("E_DOCKER_UNREACHABLE", `${why} at ${where}`, { hint: START_HINT, cause: err });
  }
}

/** Wraps an engine error as a GatestackError (E_DOCKER) naming what was being done. */
export function dockerError(what: string, err: unknown): GatestackError {
  if (err instanceof GatestackError) return err;
  const e = err as { json?: { message?: string }; message?: string; statusCode?: number };
  const message = e.json?.message ?? e.message ?? String(err);
  return new GatestackError(
    "E_DOCKER",
    `${what}: ${message.replace(/^\(HTTP code \d+\) [a-z ]+ - /, "").trim()}`,
    { cause: err },
  );
}

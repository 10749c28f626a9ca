/**
 * Runs a container's own healthcheck command right away (through `exec`), so `stack up` can start a
 * dependent as soon as its dependency answers instead of waiting for the engine's first scheduled check
 * (the interval; engines from API 1.44 have `start_interval` for this, older ones do not).
 */
import type Dockerode from "dockerode";

/** The argv to exec for a healthcheck `test`, or undefined when there is none. */
export function probeCommand(test: readonly string[] | undefined): string[] | undefined {
  if (!test || test.length === 0) return undefined;
  const [kind, ...rest] = test;
  if (kind === "CMD") return rest.length ? rest : undefined;
  if (kind === "CMD-SHELL") return rest.length ? ["/bin/sh", "-c", rest.join(" ")] : undefined;
  return undefined; // NONE, or inherited ("")
}

/** True when the command exits 0 within `timeoutMs`. */
export async function execProbe(
  docker: Dockerode,
  containerId: string,
  cmd: string[],
  timeoutMs: number,
): Promise<boolean> {
  try {
    const exec = await docker
      .getContainer(containerId)
      .exec({ Cmd: cmd, AttachStdout: false, AttachStderr: false });
    await exec.start({ Detach: true });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await exec.inspect();
      if (!info.Running) return info.ExitCode === 0;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch {
    return false; // not running yet, or exec refused: the scheduled healthcheck will decide
  }
}

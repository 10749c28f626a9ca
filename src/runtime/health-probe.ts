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

/**
 * True when the command exits 0 within `timeoutMs`. The exec is attached and its output stream read
 * to the end (then closed): a detached exec's response stream would otherwise hold its socket open.
 */
export async function execProbe(
  docker: Dockerode,
  containerId: string,
  cmd: string[],
  timeoutMs: number,
): Promise<boolean> {
  let stream: NodeJS.ReadableStream & { destroy?: () => void };
  let exec: Dockerode.Exec;
  try {
    exec = await docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    stream = (await exec.start({ hijack: true, stdin: false })) as typeof stream;
  } catch {
    return false; // not running yet, or exec refused: the scheduled healthcheck will decide
  }
  const finished = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    stream.on("end", done);
    stream.on("close", done);
    stream.on("error", done);
    stream.resume();
  });
  stream.destroy?.();
  if (!finished) return false;
  try {
    // The output ends as the process exits; the engine records the exit code a moment later.
    for (let i = 0; i < 20; i++) {
      const info = await exec.inspect();
      if (!info.Running) return info.ExitCode === 0;
      await new Promise((r) => setTimeout(r, 25));
    }
    return false;
  } catch {
    return false;
  }
}

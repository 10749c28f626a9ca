/**
 * `stack exec SERVICE -- CMD…`: a command in a running container of the service, as `docker compose
 * exec`: stdin attached, a pseudo-TTY when our stdin is a terminal (unless disabled, `-T`), the
 * terminal's size followed, and the command's exit code returned.
 */
import type { Readable, Writable } from "node:stream";
import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import { listProjectContainers } from "./actual.js";
import { dockerError } from "./engine.js";

export interface ExecOptions {
  service: string;
  command: string[];
  /** Which replica (container number), default 1. */
  index?: number;
  tty: boolean;
  user?: string;
  workdir?: string;
  env?: string[];
  privileged?: boolean;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable & { columns?: number; rows?: number; on?: (event: "resize", fn: () => void) => unknown };
  stderr: Writable;
}

export interface ExecResult {
  service: string;
  container: string;
  exitCode: number;
}

/** Runs the command to its end; resolves to its container and exit code. */
export async function execInService(
  docker: Dockerode,
  project: string,
  opts: ExecOptions,
): Promise<ExecResult> {
  const index = opts.index ?? 1;
  const containers = (await listProjectContainers(docker, project)).filter((c) => c.service === opts.service);
  if (containers.length === 0) {
    throw new GatestackError("E_STACK_NOT_RUNNING", `service ${opts.service} has no container`, {
      hint: `start it with \`stack up ${opts.service}\``,
    });
  }
  const target = containers.find((c) => c.number === index);
  if (!target) {
    throw new GatestackError(
      "E_STACK_NOT_RUNNING",
      `service ${opts.service} has no container number ${index} (it has ${containers.map((c) => c.number).join(", ")})`,
      { exitCode: 2 },
    );
  }
  if (target.state !== "running") {
    throw new GatestackError("E_DOCKER", `container ${target.name} is not running (${target.state})`, {
      hint: `start it with \`stack start ${opts.service}\``,
    });
  }
  let exec: Dockerode.Exec;
  try {
    exec = await docker.getContainer(target.id).exec({
      Cmd: opts.command,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: opts.tty,
      ...(opts.user ? { User: opts.user } : {}),
      ...(opts.workdir ? { WorkingDir: opts.workdir } : {}),
      ...(opts.env?.length ? { Env: opts.env } : {}),
      ...(opts.privileged ? { Privileged: true } : {}),
    });
  } catch (err) {
    throw dockerError(`exec in ${target.name}`, err);
  }
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: opts.tty })) as NodeJS.ReadWriteStream;
  const raw = opts.tty && opts.stdin.isTTY === true && typeof opts.stdin.setRawMode === "function";
  const resize = () => {
    const { columns, rows } = opts.stdout;
    if (columns && rows) exec.resize({ h: rows, w: columns }).catch(() => {});
  };
  try {
    if (raw) opts.stdin.setRawMode?.(true);
    if (opts.tty) {
      stream.pipe(opts.stdout, { end: false });
      resize();
      opts.stdout.on?.("resize", resize);
    } else {
      docker.modem.demuxStream(stream, opts.stdout, opts.stderr);
    }
    // Our stdin feeds the command's; its end closes the command's stdin (the write half only).
    opts.stdin.pipe(stream as unknown as Writable);
    await new Promise<void>((resolve, reject) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", reject);
    });
  } finally {
    opts.stdin.unpipe(stream as unknown as Writable);
    if (raw) opts.stdin.setRawMode?.(false);
    opts.stdin.pause();
    if (opts.tty) (opts.stdout as NodeJS.EventEmitter).off?.("resize", resize);
  }
  // The stream can end a moment before the engine records the exit code.
  for (let i = 0; ; i++) {
    const info = await exec.inspect().catch((err: unknown) => {
      throw dockerError(`reading the exit code in ${target.name}`, err);
    });
    if (!info.Running || i >= 50)
      return { service: opts.service, container: target.name, exitCode: info.ExitCode ?? 0 };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Real helper processes for tests (uvicorn, caddy…): a free port on 127.0.0.1, start a
 * process, wait until it answers HTTP, and stop it (SIGTERM, then SIGKILL) — safe to call twice.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";

export async function freePort(host = "127.0.0.1"): Promise<number> {
  const srv = createServer();
  srv.listen(0, host);
  await once(srv, "listening");
  const addr = srv.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface ManagedProcess {
  child: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Resolve once a GET of this URL gets any HTTP response. */
  readyUrl: string;
  timeoutMs?: number;
}

export async function startProcess(
  command: string,
  args: string[],
  opts: StartOptions,
): Promise<ManagedProcess> {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString("utf8");
  });
  child.stderr?.on("data", (c: Buffer) => {
    out += c.toString("utf8");
  });
  const managed: ManagedProcess = {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}:\n${out}`);
    try {
      await fetch(opts.readyUrl, { signal: AbortSignal.timeout(500) });
      return managed;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await managed.stop();
  throw new Error(`${command} did not answer ${opts.readyUrl} in time:\n${out}`);
}

/** Runs the built `stack` CLI (bin/run.js) the way a user does. */
import { fileURLToPath } from "node:url";
import { execa } from "execa";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const BIN = fileURLToPath(new URL("../../../bin/run.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function stack(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const r = await execa(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { NO_COLOR: "1", ...opts.env },
    reject: false,
    timeout: opts.timeoutMs ?? 600_000,
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a CLI command that must succeed; its output is in the error when it does not. */
export async function stackOk(args: string[], opts: Parameters<typeof stack>[1] = {}): Promise<CliResult> {
  const r = await stack(args, opts);
  if (r.code !== 0) {
    throw new Error(
      `stack ${args.join(" ")} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return r;
}

/** The last line of --json output of `stack up` (its result). */
export function upResult(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>;
}

/** `stack init DIR --template T --yes --name NAME` on the given host ports (plus any `extra` flags). */
export async function initStack(
  dir: string,
  template: "monolith" | "microservices",
  name: string,
  ports: { http: number; https: number },
  extra: string[] = [],
): Promise<void> {
  await stackOk([
    "init",
    dir,
    "--template",
    template,
    "--yes",
    "--name",
    name,
    "--http-port",
    String(ports.http),
    "--https-port",
    String(ports.https),
    ...extra,
  ]);
}

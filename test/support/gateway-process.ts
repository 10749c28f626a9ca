/**
 * `stack gateway serve` as a real child process (bin/run.js, built dist/): a replica of its
 * own, with its own memory, event loop and — through libfaketime — optionally its own
 * clock. Listeners on 127.0.0.1 random ports; resolves once the process logs "gateway started".
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PostgresSettings } from "../../src/gateway/store/postgres/settings.js";

const BIN = fileURLToPath(new URL("../../bin/run.js", import.meta.url));

export interface GatewayProcess {
  proxyUrl: string;
  adminUrl: string;
  /** stderr lines so far (the process log, JSON). */
  log: string[];
  /** SIGTERM (drain), SIGKILL after 5 s. Safe to call twice. */
  stop(): Promise<void>;
}

export interface GatewayProcessOptions {
  /**
   * Run under libfaketime (Debian's `faketime`) with this offset from the real clock, e.g.
   * "+2h" or "-90s": the process's Date.now() is shifted, its timers are not
   * (FAKETIME_DONT_FAKE_MONOTONIC).
   */
  clockOffset?: string;
  /** Database mode on this PostgreSQL (`--database postgres` with Kong's KONG_PG_* settings). */
  database?: PostgresSettings;
  /** more `stack gateway serve` arguments */
  args?: string[];
}

/** Kong's environment for `settings` (what `stack gateway serve|migrations` read). */
export function postgresEnv(settings: PostgresSettings): Record<string, string> {
  return {
    KONG_PG_HOST: settings.host,
    KONG_PG_PORT: String(settings.port),
    KONG_PG_USER: settings.user,
    KONG_PG_DATABASE: settings.database,
    ...(settings.password !== undefined ? { KONG_PG_PASSWORD: settings.password } : {}),
  };
}

/** A config file for gateway processes, removed by the returned cleanup. */
export function writeGatewayConfig(doc: object): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "gw-process-"));
  const path = join(dir, "kong.json");
  writeFileSync(path, JSON.stringify(doc));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startGatewayProcess(
  configPath: string | null,
  opts: GatewayProcessOptions = {},
): Promise<GatewayProcess> {
  const serve = [
    BIN,
    "gateway",
    "serve",
    ...(configPath !== null ? ["--config", configPath] : []),
    ...(opts.database !== undefined ? ["--database", "postgres"] : []),
    ...(opts.args ?? []),
    "--proxy-listen",
    "127.0.0.1:0",
    "--admin-listen",
    "127.0.0.1:0",
    "--status-listen",
    "off",
    "--gui-listen",
    "off",
  ];
  const [command, args] =
    opts.clockOffset === undefined
      ? [process.execPath, serve]
      : ["faketime", ["-f", opts.clockOffset, process.execPath, ...serve]];
  const proc: ChildProcess = spawn(command, args, {
    // only what it needs: the test runner's environment may hold unrelated NAME_FILE variables
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
      ...(opts.database !== undefined ? postgresEnv(opts.database) : {}),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const log: string[] = [];
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const started = await new Promise<{ proxy: string; admin: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${log.join("\n")}`)), 20_000);
      proc.stderr!.on("data", (chunk: Buffer) => {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
          log.push(line);
          try {
            const msg = JSON.parse(line) as { msg?: string; proxy?: string; admin?: string };
            if (msg.msg === "gateway started") {
              clearTimeout(timer);
              resolve({ proxy: msg.proxy!, admin: msg.admin! });
            }
          } catch {
            // not JSON (oclif error output)
          }
        }
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited with ${code}:\n${log.join("\n")}`));
      });
    });
    return { proxyUrl: started.proxy, adminUrl: started.admin, log, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

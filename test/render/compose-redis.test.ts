/**
 * The stack's Redis as compose.yaml runs it: the rendered `command` and healthcheck, after
 * Compose's own interpolation ($$ → $, the runtime's interpolator), run by a real `sh` with a
 * real redis-server (and redis-cli). Only the port differs from a container: `redis-server`
 * and `redis-cli` on PATH are wrappers adding `--port`/`-p` for a free port.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPOSE_PATH } from "../../src/render/compose.js";
import type { ComposeFile, ComposeService } from "../../src/render/compose-model.js";
import { interpolateString } from "../../src/runtime/compose/interpolate.js";
import { cleanupsAfterEach } from "../support/cleanups.js";
import { freePort } from "../support/processes.js";
import { microservicesStack, monolithStack } from "./fixtures.js";
import { artifactsOf, healthTest, tempDir, yamlOf } from "./support.js";

const run = promisify(execFile);
const cleanups = cleanupsAfterEach();
const PASSWORD = "test-redis-password-0123456789";

function redisOf(stack: ReturnType<typeof microservicesStack>): ComposeService | undefined {
  return yamlOf<ComposeFile>(artifactsOf(stack), COMPOSE_PATH).services.redis;
}

/** An argv as the container gets it: compose-interpolated with no variables set. */
function asRun(argv: string[]): string[] {
  return argv.map((arg) => interpolateString(arg, () => undefined));
}

let bin: { dir: string; cleanup: () => Promise<void> };
let port: number;

beforeAll(async () => {
  bin = await tempDir("gatestack-redis-bin-");
  port = await freePort();
  const wrap = async (name: string, flag: string) => {
    const path = join(bin.dir, name);
    await writeFile(path, `#!/bin/sh\nexec /usr/bin/${name} "$@" ${flag} ${port}\n`);
    await chmod(path, 0o755);
  };
  await wrap("redis-server", "--port");
  // redis-cli takes its options before the command: put -p first
  await writeFile(join(bin.dir, "redis-cli"), `#!/bin/sh\nexec /usr/bin/redis-cli -p ${port} "$@"\n`);
  await chmod(join(bin.dir, "redis-cli"), 0o755);
});

afterAll(() => bin.cleanup());

const containerEnv = (vars: Record<string, string>) => ({ PATH: `${bin.dir}:/usr/bin:/bin`, ...vars });

/** Start the rendered command; resolves once the server answers (or the process exited). */
async function startCommand(command: string[], env: Record<string, string>): Promise<ChildProcess> {
  const [file, ...args] = asRun(command);
  const proc = spawn(file!, args, { env: containerEnv(env), stdio: ["ignore", "ignore", "pipe"] });
  const exited = once(proc, "exit");
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGKILL");
      await exited;
    }
  });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && proc.exitCode === null) {
    const probe = await run("/usr/bin/redis-cli", ["-p", String(port), "ping"]).catch(() => null);
    if (probe?.stdout.trim() === "NOAUTH Authentication required." || probe?.stdout.trim() === "PONG") break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return proc;
}

/** The rendered healthcheck's exit code. */
async function healthcheck(test: string[], env: Record<string, string>): Promise<number> {
  const [kind, file, ...args] = asRun(test);
  expect(kind).toBe("CMD");
  try {
    await run(file!, args, { env: containerEnv(env) });
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

describe("compose.yaml's redis service", () => {
  it("exists exactly when the gateway runs more than one replica", () => {
    expect(redisOf(monolithStack())).toBeUndefined();
    expect(redisOf(microservicesStack())).toBeDefined();
    expect(redisOf(monolithStack({ gateway: { replicas: 3 } }))).toBeDefined();
  });

  it("requires the password from the environment, and the healthcheck passes only with it", async () => {
    const redis = redisOf(microservicesStack())!;
    const proc = await startCommand(redis.command!, { REDIS_PASSWORD: PASSWORD });
    expect(proc.exitCode).toBeNull();
    const noAuth = await run("/usr/bin/redis-cli", ["-p", String(port), "ping"]);
    expect(noAuth.stdout.trim()).toBe("NOAUTH Authentication required.");
    const authed = await run("/usr/bin/redis-cli", ["-p", String(port), "ping"], {
      env: { REDISCLI_AUTH: PASSWORD },
    });
    expect(authed.stdout.trim()).toBe("PONG");
    // nothing persisted
    const save = await run("/usr/bin/redis-cli", ["-p", String(port), "config", "get", "save"], {
      env: { REDISCLI_AUTH: PASSWORD },
    });
    expect(save.stdout.split("\n")[1]).toBe("");

    expect(await healthcheck(healthTest(redis), { REDIS_PASSWORD: PASSWORD })).toBe(0);
    expect(await healthcheck(healthTest(redis), { REDIS_PASSWORD: "wrong" })).not.toBe(0);

    // the value is in no argv: not the container's command, not the running server's
    expect(JSON.stringify(redis)).not.toContain(PASSWORD);
    const cmdline = await readFile(`/proc/${proc.pid}/cmdline`, "utf8");
    expect(cmdline).not.toContain(PASSWORD);
  });

  it("reads the password from REDIS_PASSWORD_FILE (Docker secrets), and refuses to start without one", async () => {
    const redis = redisOf(microservicesStack())!;
    const secrets = await tempDir("gatestack-redis-secret-");
    cleanups.push(() => secrets.cleanup());
    const file = join(secrets.dir, "REDIS_PASSWORD");
    await writeFile(file, PASSWORD); // a Swarm secret: no trailing newline
    const proc = await startCommand(redis.command!, { REDIS_PASSWORD_FILE: file });
    expect(proc.exitCode).toBeNull();
    expect(await healthcheck(healthTest(redis), { REDIS_PASSWORD_FILE: file })).toBe(0);
    proc.kill("SIGTERM");
    await once(proc, "exit");

    const [shell, ...args] = asRun(redis.command!);
    const bare = spawn(shell!, args, { env: containerEnv({}), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    bare.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const [code] = (await once(bare, "exit")) as [number];
    expect(code).not.toBe(0);
    expect(stderr).toContain("REDIS_PASSWORD: is not set");
  });
});

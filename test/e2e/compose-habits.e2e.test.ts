// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Compose ${VAR} syntax is the subject under test
/**
 * The Compose-style commands on a real engine (issue 13 §2), on a monolith stack with a
 * compose.override.yml adding two services under a `tools` profile (a built one depending on a
 * redis with `restart: true`): `stack config` shows the merged, interpolated model (.env values
 * referencing earlier keys); `stack up tool` starts only it and its dependency, whatever their
 * profile; `exec` runs a command with its exit code and stdin; `restart` takes the dependant along;
 * `stop`, `ps -a --status`, `start`, `ps --format json` and `-q`; `down --rmi local` removes the
 * built image.
 */
import { appendFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, initStack, stack, stackOk } from "./support/cli.js";
import { docker, projectContainers, purgeProject, uniqueProject } from "./support/docker.js";
import { freePort } from "./support/net.js";

const OVERRIDE = `
services:
  helper:
    image: redis:7
    profiles: [tools]
    healthcheck: {test: ["CMD", "redis-cli", "ping"], interval: 1s, timeout: 2s, retries: 30}
  tool:
    build: {context: ./tool}
    profiles: [tools]
    command: ["python", "-c", "import time; time.sleep(100000)"]
    stop_signal: SIGKILL
    environment: {GREETING: "\${GREETING}"}
    depends_on:
      helper: {condition: service_healthy, restart: true}
`;

let work: string;
let dir: string;
let project: string;

interface Row {
  service: string;
  container: string;
  id: string;
  state: string;
}

const jsonLines = (stdout: string): Row[] =>
  stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Row);

async function startedAt(service: string): Promise<string> {
  return (await docker.getContainer(`${project}-${service}-1`).inspect()).State.StartedAt;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "gs-e2e-compose-"));
  dir = path.join(work, "demo");
  project = uniqueProject("habits");
  await initStack(dir, "monolith", project, { http: await freePort(), https: await freePort() });
  await writeFile(path.join(dir, "compose.override.yml"), OVERRIDE);
  await mkdir(path.join(dir, "tool"));
  await writeFile(path.join(dir, "tool", "Dockerfile"), "FROM python:3.12-slim\nRUN echo built > /built\n");
  await appendFile(path.join(dir, ".env"), '\nBASE=hi\nGREETING="${BASE} there $$x"\n');
});

afterAll(async () => {
  await purgeProject(project);
  await rm(work, { recursive: true, force: true });
});

describe("Compose habits on a real engine", () => {
  it("stack config: compose.override.yml merged, .env interpolated, profiles checked", async () => {
    const r = await stackOk(["config", "--dir", dir, "--profile", "tools", "--json"]);
    const model = JSON.parse(r.stdout) as { services: Record<string, Record<string, unknown>> };
    expect(Object.keys(model.services).sort()).toEqual(["app", "caddy", "gateway", "helper", "tool"]);
    expect(model.services.tool?.environment).toEqual({ GREETING: "hi there $x" });
    expect(model.services.tool?.depends_on).toEqual({
      helper: { condition: "service_healthy", required: true, restart: true },
    });
    const yaml = await stackOk(["config", "--dir", dir]);
    expect(yaml.stdout).not.toContain("helper:");
    expect(yaml.stdout).toMatch(/^name: habits-/);
    const bad = await stack(["config", "--dir", dir, "--profile", "tool"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("did you mean --profile tools?");
  });

  it("stack up tool: only the named service and its dependency, profile or not", async () => {
    await stackOk(["up", "tool", "--dir", dir, "--wait-timeout", "120"], { timeoutMs: 300_000 });
    const services = (await projectContainers(project)).map((c) => c.Labels["com.docker.compose.service"]);
    expect(services.sort()).toEqual(["helper", "tool"]);
    const rows = jsonLines((await stackOk(["ps", "--dir", dir, "--format", "json"])).stdout);
    expect(rows.map((row) => `${row.service}:${row.state}`).sort()).toEqual([
      "helper:running",
      "tool:running",
    ]);
  });

  it("stack exec: the command's output and exit code, stdin passed through", async () => {
    const r = await stack([
      "exec",
      "-T",
      "tool",
      "--dir",
      dir,
      "--",
      "sh",
      "-c",
      'echo "$GREETING"; echo oops >&2; exit 3',
    ]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("hi there $x");
    expect(r.stderr).toContain("oops");
    const piped = await execa(
      process.execPath,
      [BIN, "exec", "-T", "--dir", dir, "tool", "--", "cat", "/dev/stdin"],
      {
        input: "through stdin\n",
        reject: false,
        env: { NO_COLOR: "1" },
      },
    );
    expect(piped.exitCode).toBe(0);
    expect(piped.stdout).toBe("through stdin");
    const missing = await stack(["exec", "--dir", dir, "--index", "2", "tool", "--", "true"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("service tool has no container number 2");
  });

  it("stack restart helper: its restart: true dependant is restarted after it", async () => {
    const before = { helper: await startedAt("helper"), tool: await startedAt("tool") };
    const r = await stackOk(["restart", "helper", "--dir", dir, "--json", "-t", "1"]);
    const result = JSON.parse(r.stdout) as { services: string[]; containers: Array<{ result: string }> };
    expect(result.services).toEqual(["helper", "tool"]);
    expect(result.containers.map((c) => c.result)).toEqual(["restarted", "restarted"]);
    const after = { helper: await startedAt("helper"), tool: await startedAt("tool") };
    expect(after.helper).not.toBe(before.helper);
    expect(after.tool).not.toBe(before.tool);
    expect(Date.parse(after.tool)).toBeGreaterThanOrEqual(Date.parse(after.helper));
    const noDeps = JSON.parse(
      (await stackOk(["restart", "helper", "--no-deps", "--dir", dir, "--json"])).stdout,
    ) as {
      services: string[];
    };
    expect(noDeps.services).toEqual(["helper"]);
  });

  it("stack stop, ps -a --status, start: containers kept, started again with their dependency", async () => {
    const stopped = JSON.parse((await stackOk(["stop", "--dir", dir, "--json"])).stdout) as {
      services: string[];
    };
    expect(stopped.services.indexOf("tool")).toBeLessThan(stopped.services.indexOf("helper"));
    expect((await stackOk(["ps", "--dir", dir, "-q"])).stdout).toBe("");
    const exited = jsonLines(
      (await stackOk(["ps", "--dir", dir, "--status", "exited", "--format", "json"])).stdout,
    );
    expect(exited.map((row) => row.service).sort()).toEqual(["helper", "tool"]);
    expect((await stackOk(["ps", "-a", "--dir", dir, "-q"])).stdout.split("\n")).toHaveLength(2);

    const started = JSON.parse((await stackOk(["start", "tool", "--dir", dir, "--json"])).stdout) as {
      services: string[];
    };
    expect(started.services).toEqual(["helper", "tool"]);
    const rows = jsonLines((await stackOk(["ps", "--dir", dir, "--format", "json"])).stdout);
    expect(rows.map((row) => `${row.service}:${row.state}`).sort()).toEqual([
      "helper:running",
      "tool:running",
    ]);
    const none = await stack(["start", "app", "--dir", dir]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no container to start");
  });

  it("stack down --rmi local: containers gone and the image stack up built removed", async () => {
    expect((await docker.listImages({ filters: { reference: [`${project}-tool`] } })).length).toBe(1);
    await stackOk(["down", "--dir", dir, "--rmi", "local", "-t", "1"]);
    expect(await projectContainers(project)).toEqual([]);
    expect(await docker.listImages({ filters: { reference: [`${project}-tool`] } })).toEqual([]);
  });
});

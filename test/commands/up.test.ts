/**
 * `stack up/down/ps/logs` where no Docker is needed to tell the outcome: refusing hand-edited generated
 * files (before touching the engine), a clear message when no engine answers, usage errors.
 */
import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const bin = new URL("../../bin/run.js", import.meta.url).pathname;
vi.setConfig({ testTimeout: 120_000 });

let root: string;
let dir: string;
const noEngine = { DOCKER_HOST: "unix:///nonexistent/docker.sock", NO_COLOR: "1" };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gs-cmd-up-"));
  dir = join(root, "demo");
  await execa(bin, [
    "init",
    dir,
    "--template",
    "monolith",
    "--yes",
    "--http-port",
    "18080",
    "--https-port",
    "18443",
  ]);
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe.concurrent("stack up/down/ps/logs without an engine", () => {
  it("up says how to start an engine (exit 1)", async () => {
    const r = await execa(bin, ["up", "--dir", dir], { reject: false, env: noEngine });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("✗ no Docker engine answers at unix:///nonexistent/docker.sock");
    expect(r.stderr).toMatch(
      /hint: start a Docker engine: `sudo systemctl start docker`.*apt-get install docker\.io/,
    );
  });

  it("up --json: event lines, then the error as one result line", async () => {
    const r = await execa(bin, ["up", "--dir", dir, "--json"], { reject: false, env: noEngine });
    expect(r.exitCode).toBe(1);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.slice(0, -1).every((l) => l.type === "task")).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: "result", error: { code: "E_DOCKER_UNREACHABLE" } });
  });

  it("down, ps and logs fail the same way", async () => {
    for (const cmd of [["down"], ["ps"], ["logs"]]) {
      const r = await execa(bin, [...cmd, "--dir", dir], { reject: false, env: noEngine });
      expect(r.exitCode, cmd.join(" ")).toBe(1);
      expect(r.stderr).toContain("no Docker engine answers");
    }
  });

  it("rejects bad flags as usage errors (exit 2)", async () => {
    const profile = await execa(bin, ["up", "--dir", dir, "--profile", "monitor"], {
      reject: false,
      env: noEngine,
    });
    expect(profile.exitCode).toBe(2);
    expect(profile.stderr).toContain("no service of the compose files has profile monitor");
    expect(profile.stderr).not.toContain("no Docker engine answers");
    const addon = await execa(bin, ["up", "--dir", dir, "--profile", "monitoring"], {
      reject: false,
      env: noEngine,
    });
    expect(addon.exitCode).toBe(2);
    expect(addon.stderr).toMatch(
      /hint: profile monitoring holds prometheus, grafana, rendered when stack\.yaml sets addons\.prometheus\.enabled/,
    );
    const tail = await execa(bin, ["logs", "--dir", dir, "--tail", "lots"], { reject: false, env: noEngine });
    expect(tail.exitCode).toBe(2);
    expect(tail.stderr).toContain('--tail lots: expected "all" or a number of lines');
  });
});

describe("stack up refuses hand-edited generated files", () => {
  it("exits with E_RENDER_STALE and the diff, before contacting the engine", async () => {
    await appendFile(join(dir, "config/caddy/Caddyfile"), "# tweaked by hand\n");
    const r = await execa(bin, ["up", "--dir", dir], { reject: false, env: noEngine });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("generated files were edited by hand: config/caddy/Caddyfile");
    expect(r.stderr).toContain("-# tweaked by hand");
    expect(r.stderr).not.toContain("no Docker engine answers");
  });
});

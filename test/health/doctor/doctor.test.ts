import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeCliCheck, findComposeCli } from "../../../src/health/doctor/checks/compose-cli.js";
import { registryOf } from "../../../src/health/doctor/checks/images.js";
import { maxMapCountCheck } from "../../../src/health/doctor/checks/kernel.js";
import { renderDoctor } from "../../../src/health/doctor/render.js";
import type { DoctorCheck, DoctorReport } from "../../../src/health/doctor/report.js";
import { runDoctor } from "../../../src/health/doctor/run.js";
import { renderStack } from "../../../src/render/index.js";
import { initStack } from "../../../src/stack/init.js";
import { type LoadedStack, loadStack } from "../../../src/stack/load.js";

// Against the real Docker engine of this machine, real sockets and a stack folder made by initStack
// (what `stack init` runs) and rendered.
let parent: string;
let plain: string;
let ci: string;
let busy: Server;
let busyPort: number;
const docker = new Dockerode();

async function makeStack(dir: string, addons: Array<"elk" | "jenkins">): Promise<void> {
  await initStack({
    dir,
    force: false,
    template: "monolith",
    name: dir.split("/").at(-1) as string,
    domain: "localhost",
    https: "off",
    httpPort: 1,
    httpsPort: 2,
    addons,
  });
  await renderStack(await loadStack(dir));
}

/** The stack as loaded, with changes in memory (what stack.yaml would say). */
async function loaded(dir: string, change?: (l: LoadedStack) => void): Promise<LoadedStack> {
  const l = await loadStack(dir);
  change?.(l);
  return l;
}

const checksOf = (r: DoctorReport, section: string): DoctorCheck[] =>
  r.sections.find((s) => s.name === section)?.checks ?? [];

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), "gs-doctor-"));
  plain = join(parent, "plain");
  ci = join(parent, "ci");
  await makeStack(plain, []);
  await makeStack(ci, ["elk", "jenkins"]);
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
  busyPort = (busy.address() as { port: number }).port;
}, 60_000);

afterAll(async () => {
  await new Promise((r) => busy?.close(r));
  await rm(parent, { recursive: true, force: true });
});

describe("stack doctor against the engine", () => {
  it("reports the engine with its API version, and each published port", async () => {
    const version = await docker.version();
    const r = await runDoctor(await loaded(plain, (l) => (l.config.ports.http = 1)), { timeoutMs: 3000 });
    expect(r.engine).toMatchObject({ version: version.Version, apiVersion: version.ApiVersion });
    const engine = checksOf(r, "engine");
    expect(engine[0]).toMatchObject({ name: "Docker engine", status: "ok" });
    expect(engine[0]?.detail).toContain(`API ${version.ApiVersion}`);
    const [major = 0, minor = 0] = version.ApiVersion.split(".").map(Number);
    const features = engine.find((c) => c.name === "Engine API features");
    expect(features?.status).toBe(major > 1 || minor >= 44 ? "ok" : "warn");
    if (features?.status === "warn") expect(features.reason).toContain("start_interval");
    expect(checksOf(r, "ports").map((c) => [c.name, c.status])).toEqual([["0.0.0.0:1 (caddy)", "ok"]]);
    expect(checksOf(r, "kernel")).toEqual([]);
    expect(checksOf(r, "git")).toEqual([]);
    expect(r.exitCode).toBe(r.status === "fail" ? 2 : r.status === "warn" ? 1 : 0);
    expect(renderDoctor(r, { color: false })).toContain(`stack doctor plain:`);
  });

  it("names the process holding a published port: fail, exit 2", async () => {
    const r = await runDoctor(await loaded(plain, (l) => (l.config.ports.http = busyPort)), {
      timeoutMs: 3000,
    });
    const port = checksOf(r, "ports")[0];
    expect(port).toMatchObject({ name: `0.0.0.0:${busyPort} (caddy)`, status: "fail" });
    expect(port?.detail).toBe(
      `held by pid ${process.pid} (${execFileSync("cat", [`/proc/${process.pid}/comm`])
        .toString()
        .trim()})`,
    );
    expect(port?.hint).toContain(`kill ${process.pid}`);
    expect(r).toMatchObject({ status: "fail", exitCode: 2 });
  });

  it("an image that is missing, from a registry that does not answer: fail", async () => {
    const image = "registry.invalid/gatestack-doctor/none:1";
    const r = await runDoctor(
      await loaded(plain, (l) => {
        l.config.ports.http = 1;
        l.config.images.caddy = image;
      }),
      { timeoutMs: 2000 },
    );
    const registry = checksOf(r, "images").find((c) => c.name === "registry registry.invalid");
    expect(registry?.status).toBe("fail");
    expect(registry?.detail).toContain(`missing: ${image}`);
    expect(r.exitCode).toBe(2);
  });

  it("with ELK and Jenkins: vm.max_map_count, then the folder's git state as Jenkins needs it", async () => {
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: ci });
    const run = async () =>
      runDoctor(await loaded(ci, (l) => (l.config.ports.http = 1)), { timeoutMs: 1000 });

    const before = await run();
    expect(checksOf(before, "kernel").map((c) => c.name)).toEqual(["vm.max_map_count (Elasticsearch)"]);
    expect(checksOf(before, "git")).toMatchObject([{ status: "fail", detail: "not a git repository" }]);

    git("init", "-q", "-b", "main");
    expect(checksOf(await run(), "git")).toMatchObject([
      { status: "fail", detail: "a repository without a commit" },
    ]);

    git("add", ".");
    git("commit", "-q", "-m", "stack");
    const committed = checksOf(await run(), "git");
    expect(committed.map((c) => [c.name, c.status])).toEqual([
      ["stack folder repository", "ok"],
      ["Jenkinsfile committed", "ok"],
      ["working tree", "ok"],
    ]);
    expect(committed[0]?.detail).toMatch(/^on main at [0-9a-f]{12}$/);

    await writeFile(join(ci, "notes.txt"), "not committed\n");
    expect(checksOf(await run(), "git").find((c) => c.name === "working tree")).toMatchObject({
      status: "warn",
      detail: "1 uncommitted change",
    });
  });
});

describe("stack doctor without an engine", () => {
  it("fails the engine (exit 2) and still checks what the machine can tell", async () => {
    const dead = join(parent, "dead.sock");
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${dead}`;
    try {
      const r = await runDoctor(await loaded(plain, (l) => (l.config.ports.http = busyPort)), {
        timeoutMs: 1000,
        docker: new Dockerode({ socketPath: dead }),
      });
      expect(r.engine).toBeNull();
      expect(checksOf(r, "engine")).toMatchObject([{ name: "Docker engine", status: "fail" }]);
      expect(checksOf(r, "engine")[0]?.detail).toContain(dead);
      // a process on the port is still found (the engine would run here)
      expect(checksOf(r, "ports")[0]).toMatchObject({
        status: "fail",
        detail: expect.stringContaining(`pid ${process.pid}`),
      });
      expect(checksOf(r, "images")[0]).toMatchObject({
        status: "warn",
        reason: "no engine to ask which images it has",
      });
      expect(r).toMatchObject({ status: "fail", exitCode: 2 });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});

describe("doctor checks", () => {
  it("vm.max_map_count: at least 262144 is ok, less warns with the sysctl to run", async () => {
    const low = join(parent, "low");
    const high = join(parent, "high");
    await writeFile(low, "65530\n");
    await writeFile(high, "262144\n");
    expect(await maxMapCountCheck(high)).toMatchObject({ status: "ok", detail: "262144 (at least 262144)" });
    const warn = await maxMapCountCheck(low);
    expect(warn).toMatchObject({ status: "warn", detail: "65530, below 262144" });
    expect(warn.hint).toContain("sysctl -w vm.max_map_count=262144");
    expect((await maxMapCountCheck(join(parent, "missing"))).status).toBe("warn");
  });

  it("Compose CLI: v2 ok, v1 warns, none is ok (stack up does not need one)", async () => {
    // No Compose v2 is installed here: stand-in `docker` scripts on a PATH of their own.
    const bin = join(parent, "bin");
    await mkdir(bin);
    const docker2 = join(bin, "docker");
    await writeFile(
      docker2,
      '#!/bin/sh\n[ "$1 $2" = "compose version" ] && echo v2.29.7 && exit 0\nexit 1\n',
    );
    await chmod(docker2, 0o755);
    const v2 = await findComposeCli(3000, { PATH: bin });
    expect(v2).toEqual({ command: "docker compose", version: "2.29.7" });
    expect(composeCliCheck(v2)).toMatchObject({ status: "ok", detail: "docker compose 2.29.7 (Compose v2)" });
    expect(composeCliCheck({ command: "docker-compose", version: "1.29.2" })).toMatchObject({
      status: "warn",
    });
    expect(await findComposeCli(3000, { PATH: join(parent, "nothing") })).toBeUndefined();
    expect(composeCliCheck(undefined).status).toBe("ok");
  });

  it("registryOf: Docker Hub unless the first part names a host", () => {
    expect(registryOf("caddy:2.8")).toBe("docker.io");
    expect(registryOf("jenkins/jenkins:lts")).toBe("docker.io");
    expect(registryOf("docker.elastic.co/elasticsearch/elasticsearch:8")).toBe("docker.elastic.co");
    expect(registryOf("localhost:5000/app")).toBe("localhost:5000");
    expect(registryOf("localhost/app")).toBe("localhost");
  });
});

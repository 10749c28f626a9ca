/**
 * The runtime against a real engine with hand-written compose files and the small offline images
 * (python, redis): convergence, idempotence, recreate on change, scaling, depends_on order, failure
 * messages, interruption, preflight, ps/logs/down.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatestackError } from "../../../src/errors.js";
import { type ComposeProject, loadComposeProject } from "../../../src/runtime/compose/project.js";
import { converge } from "../../../src/runtime/converge.js";
import { down } from "../../../src/runtime/down.js";
import { buildGatewayImage } from "../../../src/runtime/images.js";
import { streamLogs } from "../../../src/runtime/logs.js";
import { findPortConflicts, portConflictError } from "../../../src/runtime/preflight.js";
import { createReporter, type ProgressEvent, silentReporter } from "../../../src/runtime/progress.js";
import { ps } from "../../../src/runtime/ps.js";
import { PACKAGE_ROOT } from "../../../src/stack/package-paths.js";
import {
  docker,
  projectContainers,
  projectNetworks,
  purgeProject,
  uniqueProject,
} from "../support/docker.js";
import { freePort, get } from "../support/net.js";

const PY_HEALTH = `["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/')"]`;

function composeYaml(opts: { webReplicas?: number; webEnv?: string; port: number; extra?: string }): string {
  return `
services:
  cache:
    image: redis:7
    command: ["sh", "-c", "sleep 2 && exec redis-server --protected-mode no"]
    networks: [backend]
    healthcheck: {test: ["CMD", "redis-cli", "ping"], interval: 1s, timeout: 2s, retries: 20}
  setup:
    image: python:3.12-slim
    command: ["python", "-c", "print('setup done')"]
    networks: [backend]
  web:
    image: python:3.12-slim
    command: ["python", "-u", "-m", "http.server", "8000"]
    stop_signal: SIGKILL
    environment: {MODE: "${opts.webEnv ?? "one"}"}
    ports: ["127.0.0.1:${opts.port}:8000"]
    networks: [backend, edge]
    depends_on:
      cache: {condition: service_healthy}
      setup: {condition: service_completed_successfully}
    deploy: {replicas: ${opts.webReplicas ?? 1}}
    healthcheck: {test: ${PY_HEALTH}, interval: 1s, retries: 30}
${opts.extra ?? ""}
networks: {backend: {}, edge: {}}
`;
}

let dir: string;
let name: string;
let port: number;

async function load(yaml: string, projectName = name): Promise<ComposeProject> {
  await writeFile(path.join(dir, "compose.yaml"), yaml);
  return loadComposeProject({ dir, projectName, processEnv: {} });
}

function recordingReporter() {
  const events: ProgressEvent[] = [];
  return { reporter: createReporter((e) => events.push(e)), events };
}

async function ids(project: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of await projectContainers(project)) out[(c.Names[0] ?? "").slice(1)] = c.Id;
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "gs-e2e-runtime-"));
  name = uniqueProject("rt");
  port = await freePort();
});

afterAll(async () => {
  await purgeProject(name);
  await rm(dir, { recursive: true, force: true });
});

describe("converge on a real engine", () => {
  it("creates networks and containers in dependency order and waits until healthy", async () => {
    const project = await load(composeYaml({ port }));
    const { reporter, events } = recordingReporter();
    const res = await converge(docker, project, { reporter, timeoutMs: 120_000 });
    expect(res.summary).toMatchObject({ create: 3, recreate: 0, keep: 0 });
    const web = res.containers.find((c) => c.service === "web");
    expect(web?.state).toBe("healthy");
    expect((await projectNetworks(name)).map((n) => n.Name).sort()).toEqual([
      `${name}_backend`,
      `${name}_edge`,
    ]);

    // web started only after cache was healthy (redis answers only 2 s after its start) and setup had completed.
    const inspect = async (n: string) => docker.getContainer(`${name}-${n}-1`).inspect();
    const [cache, setup, webInfo] = await Promise.all([inspect("cache"), inspect("setup"), inspect("web")]);
    expect(Date.parse(webInfo.State.StartedAt) - Date.parse(cache.State.StartedAt)).toBeGreaterThanOrEqual(
      2000,
    );
    expect(Date.parse(webInfo.State.StartedAt)).toBeGreaterThan(Date.parse(setup.State.FinishedAt));
    expect(setup.State.ExitCode).toBe(0);
    expect(webInfo.Config.Labels["com.docker.compose.depends_on"]).toBe(
      "cache:service_healthy:false,setup:service_completed_successfully:false",
    );

    // Reachable on the published loopback port.
    expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(200);
    const titles = events
      .filter((e) => e.type === "task" && e.status === "done")
      .map((e) => (e as { title: string }).title);
    expect(titles).toContain(`Container ${name}-web-1`);
  });

  it("is idempotent: a second run recreates nothing (the one-shot setup runs again, as in Compose)", async () => {
    const before = await ids(name);
    const res = await converge(docker, await load(composeYaml({ port })), { reporter: silentReporter });
    expect(res.summary).toMatchObject({ create: 0, recreate: 0, start: 1, keep: 2, remove: 0 });
    expect(res.containers.find((c) => c.action === "start")?.service).toBe("setup");
    expect(await ids(name)).toEqual(before);
  });

  it("recreates only the changed service, and scales by the difference", async () => {
    const before = await ids(name);
    const res = await converge(docker, await load(composeYaml({ port: 0, webEnv: "two", webReplicas: 2 })), {
      reporter: silentReporter,
    });
    expect(res.containers.filter((c) => c.action === "recreate").map((c) => c.name)).toEqual([
      `${name}-web-1`,
    ]);
    expect(res.containers.filter((c) => c.action === "create").map((c) => c.name)).toEqual([`${name}-web-2`]);
    const after = await ids(name);
    expect(after[`${name}-cache-1`]).toBe(before[`${name}-cache-1`]);
    expect(after[`${name}-web-1`]).not.toBe(before[`${name}-web-1`]);
    const env = (await docker.getContainer(`${name}-web-1`).inspect()).Config.Env;
    expect(env).toContain("MODE=two");

    // Docker DNS: the service name resolves to one address per replica.
    const exec = await docker.getContainer(`${name}-cache-1`).exec({
      Cmd: ["getent", "ahostsv4", "web"],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({});
    let out = "";
    stream.on("data", (c: Buffer) => {
      out += c.toString("latin1");
    });
    await new Promise((r) => stream.on("end", r));
    expect(new Set(out.match(/\d+\.\d+\.\d+\.\d+/g)).size).toBe(2);

    const down1 = await converge(
      docker,
      await load(composeYaml({ port: 0, webEnv: "two", webReplicas: 1 })),
      {
        reporter: silentReporter,
      },
    );
    expect(down1.removed.map((c) => c.name)).toEqual([`${name}-web-2`]);
    expect(down1.summary).toMatchObject({ create: 0, recreate: 0, remove: 1 });
  });

  it("lists containers with state, health and ports (ps) and merges their logs with prefixes", async () => {
    const rows = await ps(docker, name);
    expect(rows.map((r) => `${r.service}:${r.state}:${r.health}`)).toEqual([
      "cache:running:healthy",
      "setup:exited:",
      "web:running:healthy",
    ]);
    const out = new PassThrough();
    let text = "";
    out.on("data", (c: Buffer) => {
      text += c.toString();
    });
    await streamLogs(docker, name, { services: ["setup"], out });
    expect(text).toMatch(new RegExp(`^${name}-setup-1 \\| setup done$`, "m"));
    await expect(streamLogs(docker, name, { services: ["nope"], out })).rejects.toThrow(
      /no containers for service nope/,
    );
  });

  it("follows logs (-f) until interrupted, with new lines as they come", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (c: Buffer) => {
      text += c.toString();
    });
    const controller = new AbortController();
    const following = streamLogs(docker, name, {
      services: ["web"],
      follow: true,
      tail: "0",
      out,
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 500));
    const marker = `/follow-${Date.now()}`;
    const web = (await ps(docker, name)).find((r) => r.service === "web");
    const published = /:(\d+)->8000\/tcp/.exec(web?.ports.join(" ") ?? "")?.[1];
    await get(`http://127.0.0.1:${published}${marker}`);
    const deadline = Date.now() + 10_000;
    while (!text.includes(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    await following;
    expect(text).toMatch(new RegExp(`^${name}-web-1 \\| .*GET ${marker}`, "m"));
  });

  it("fails with the container's last log lines when it exits soon after starting, and names the service", async () => {
    const project = await load(
      composeYaml({
        port: 0,
        webEnv: "two",
        extra: `  broken:
    image: python:3.12-slim
    command: ["python", "-c", "import sys, time; time.sleep(0.6); print('boom: missing setting'); sys.exit(3)"]
    networks: [backend]
`,
      }),
    );
    const err = await converge(docker, project, { reporter: silentReporter, timeoutMs: 60_000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatestackError);
    expect((err as GatestackError).message).toBe(`${name}-broken-1 exited with code 3`);
    expect((err as GatestackError).hint).toContain("boom: missing setting");
  });

  it("explains a missing image that cannot be pulled offline", async () => {
    const project = await load(
      `services:\n  ghost:\n    image: registry.invalid/nothing:1\n`,
      `${name}-ghost`,
    );
    const err = await converge(docker, project, { reporter: silentReporter }).catch((e: unknown) => e);
    expect((err as GatestackError).message).toMatch(/registry\.invalid\/nothing:1/);
    expect((err as GatestackError).hint ?? "").toMatch(/build-offline\.sh|images:/);
    await purgeProject(`${name}-ghost`);
  });

  it("builds the gateway image from this package's Dockerfile through the Engine API", async () => {
    const tag = `gatestack-e2e/gateway:${name}`;
    const { events, reporter } = recordingReporter();
    try {
      const id = await buildGatewayImage(docker, tag, reporter.task("gw", `Image ${tag}`), PACKAGE_ROOT);
      expect((await docker.getImage(tag).inspect()).Id).toBe(id);
      const details = events
        .filter((e) => e.type === "task")
        .map((e) => (e as { detail?: string }).detail ?? "");
      // The build context is the package folder minus .dockerignore (no node_modules, no .git).
      const sent = details.find((d) => d.startsWith("sending build context ("));
      expect(Number(/\(([\d.]+) MB\)/.exec(sent ?? "")?.[1])).toBeLessThan(400);
      const run = await docker.run(tag, ["node", "bin/run.js", "--version"], new PassThrough(), {
        HostConfig: { AutoRemove: true },
      });
      expect((run[0] as { StatusCode: number }).StatusCode).toBe(0);
    } finally {
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => {});
    }
  });

  it("stops cleanly when interrupted: no half-created container, everything labelled", async () => {
    const other = `${name}-int`;
    const project = await load(composeYaml({ port: 0, webReplicas: 3 }), other);
    const controller = new AbortController();
    const reporter = createReporter((e) => {
      if (e.type === "task" && e.title.startsWith(`Container ${other}-web`) && e.status === "running")
        controller.abort();
    });
    const err = await converge(docker, project, { reporter, signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect((err as GatestackError).code).toBe("E_INTERRUPTED");
    const left = await projectContainers(other);
    expect(left.every((c) => c.State !== "created")).toBe(true);
    const all = await docker.listContainers({ all: true });
    expect(
      all.filter(
        (c) => (c.Names[0] ?? "").startsWith(`/${other}-`) && !c.Labels["com.docker.compose.project"],
      ),
    ).toEqual([]);
    await purgeProject(other);
  });

  it("preflight names the process or container holding a published port", async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const busy = (server.address() as { port: number }).port;
    try {
      const project = await load(composeYaml({ port: busy }), `${name}-pf`);
      const conflicts = await findPortConflicts(docker, project);
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0]).toMatchObject({ service: "web", port: busy, pid: process.pid });
      expect(portConflictError(conflicts).message).toContain(
        `127.0.0.1:${busy} (web) is held by pid ${process.pid}`,
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    // A port published by another project's container is named by container.
    const mine = await load(composeYaml({ port }), name);
    await converge(docker, mine, { reporter: silentReporter });
    expect(await findPortConflicts(docker, mine)).toEqual([]);
    const rival = await load(composeYaml({ port }), `${name}-pf`);
    const conflicts = await findPortConflicts(docker, rival);
    expect(conflicts[0]?.holder).toBe(`container ${name}-web-1 (stack ${name})`);
  });

  it("down removes every container and network of the project", async () => {
    const res = await down(docker, name, { reporter: silentReporter, volumes: true });
    expect(res.containers.length).toBeGreaterThanOrEqual(3);
    expect(await projectContainers(name)).toEqual([]);
    expect(await projectNetworks(name)).toEqual([]);
  });
});

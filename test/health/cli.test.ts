import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initStack } from "../../src/stack/init.js";

const bin = new URL("../../bin/run.js", import.meta.url).pathname;

/**
 * `stack health` as users run it, against a stand-in Docker engine: a real HTTP server on a
 * unix socket speaking the few Engine API calls health makes (_ping, containers/json, inspect).
 */
describe("stack health CLI without a running stack", () => {
  let parent: string;
  let dir: string;
  let engine: Server;
  let socket: string;
  let containers: Array<{
    Id: string;
    Names: string[];
    State: string;
    Status: string;
    Labels: Record<string, string>;
  }> = [];

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), "gs-health-cli-"));
    dir = join(parent, "shop");
    await initStack({
      dir,
      force: false,
      template: "monolith",
      name: "shop",
      domain: "localhost",
      https: "auto",
      httpPort: 80,
      httpsPort: 443,
      addons: [],
    });
    socket = join(parent, "docker.sock");
    engine = createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0] ?? "";
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(typeof body === "string" ? body : JSON.stringify(body));
      };
      if (path.endsWith("/_ping")) return send(200, "OK");
      if (path.endsWith("/containers/json")) return send(200, containers);
      const inspect = /\/containers\/([^/]+)\/json$/.exec(path);
      const c = inspect && containers.find((x) => x.Id === inspect[1]);
      if (c)
        return send(200, {
          Id: c.Id,
          Name: `/${c.Names[0]?.slice(1)}`,
          RestartCount: 0,
          State: {
            Status: c.State,
            Running: false,
            Paused: false,
            Restarting: false,
            OOMKilled: false,
            ExitCode: 0,
            StartedAt: "2026-01-01T00:00:00Z",
            FinishedAt: "2026-01-01T01:00:00Z",
          },
          Config: { Image: "x", Labels: c.Labels },
          NetworkSettings: { Networks: {} },
        });
      send(404, { message: "not found" });
    });
    await new Promise<void>((resolve) => engine.listen(socket, resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => engine.close(resolve));
    await rm(parent, { recursive: true, force: true });
  });

  const run = (args: string[], env: Record<string, string> = {}) =>
    execa(bin, ["health", "--dir", dir, ...args], {
      reject: false,
      env: { DOCKER_HOST: `unix://${socket}`, NO_COLOR: "1", ...env },
    });

  it("no container of the project: a clear message and exit 2", async () => {
    containers = [];
    const r = await run([]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      '✗ stack "shop" is not running (no containers)\n  hint: start it with `stack up` in the stack folder (or pass --dir)',
    );
    const json = await run(["--json"]);
    expect(json.exitCode).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      error: {
        code: "E_STACK_NOT_RUNNING",
        message: 'stack "shop" is not running (no containers)',
        hint: "start it with `stack up` in the stack folder (or pass --dir)",
      },
    });
  });

  it("containers exist but none runs: says so, exit 2", async () => {
    const labels = (service: string) => ({
      "com.docker.compose.project": "shop",
      "com.docker.compose.service": service,
      "com.docker.compose.container-number": "1",
      "com.docker.compose.oneoff": "False",
    });
    containers = ["caddy", "gateway", "app"].map((s) => ({
      Id: `${s}-id`,
      Names: [`/shop-${s}-1`],
      State: "exited",
      Status: "Exited (0) 1 hour ago",
      Labels: labels(s),
    }));
    const r = await run(["--format", "json"]);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toBe('stack "shop" is not running (3 containers, all exited)');
  });

  it("Docker unreachable: exit 2 saying how to start an engine", async () => {
    const r = await run([], { DOCKER_HOST: `unix://${join(parent, "nothing.sock")}` });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^✗ no Docker engine answers at unix:\/\/.*nothing\.sock\n {2}hint: start a Docker engine/,
    );
  });

  it("bad flag values are usage errors", async () => {
    const r = await run(["--timeout", "0"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--timeout must be seconds between 0.05 and 120");
    const w = await run(["--watch", "0.1"]);
    expect(w.exitCode).toBe(2);
    expect(w.stderr).toContain("--watch must be seconds between 0.5 and 3600");
  });

  it("--help documents layers, exit codes and the schema", async () => {
    const r = await execa(bin, ["health", "--help"], { reject: false });
    expect(r.stdout).toContain("Exit code: 0 healthy, 1 degraded");
    expect(r.stdout).toContain("schema/health-report.schema.json");
    expect(r.stdout).toContain("-w, --watch=[SECONDS]");
  });
});

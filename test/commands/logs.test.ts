/**
 * `stack logs --json` through the built CLI: one JSON object per log line, in time order across the
 * containers, stdout and stderr kept apart. The containers are a stand-in engine's
 * (test/support/stand-in-engine.ts): the unit suite has no image to run real ones from.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StandInEngine, startStandInEngine } from "../support/stand-in-engine.js";

const bin = new URL("../../bin/run.js", import.meta.url).pathname;
let root: string;
let dir: string;
let engine: StandInEngine;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gs-logs-"));
  dir = join(root, "shop");
  await execa(bin, ["init", dir, "--template", "monolith", "--yes", "--no-render"], {
    env: { NO_COLOR: "1" },
  });
  engine = await startStandInEngine();
  engine.set([
    {
      project: "shop",
      service: "app",
      logs: [
        ["stdout", "2026-01-01T00:00:01.000000000Z", "INFO: started"],
        ["stderr", "2026-01-01T00:00:03.000000000Z", "WARNING: slow"],
      ],
    },
    {
      project: "shop",
      service: "gateway",
      logs: [["stdout", "2026-01-01T00:00:02.000000000Z", '{"msg":"ready"}']],
    },
  ]);
});
afterAll(async () => {
  await engine.close();
  await rm(root, { recursive: true, force: true });
});

const logs = (args: string[]) =>
  execa(bin, ["logs", "--dir", dir, ...args], {
    reject: false,
    env: { NO_COLOR: "1", DOCKER_HOST: engine.host },
  });

describe("stack logs --json", () => {
  it("one object per line, merged by time, each with its service, container and stream", async () => {
    const r = await logs(["--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split("\n").map((l) => JSON.parse(l))).toEqual([
      {
        type: "log",
        service: "app",
        container: "shop-app-1",
        stream: "stdout",
        time: "2026-01-01T00:00:01.000000000Z",
        message: "INFO: started",
      },
      {
        type: "log",
        service: "gateway",
        container: "shop-gateway-1",
        stream: "stdout",
        time: "2026-01-01T00:00:02.000000000Z",
        message: '{"msg":"ready"}',
      },
      {
        type: "log",
        service: "app",
        container: "shop-app-1",
        stream: "stderr",
        time: "2026-01-01T00:00:03.000000000Z",
        message: "WARNING: slow",
      },
    ]);
  });

  it("only the services asked for; without --json the prefixed text as before", async () => {
    const one = await logs(["app", "--json"]);
    expect(one.stdout.split("\n").map((l) => (JSON.parse(l) as { service: string }).service)).toEqual([
      "app",
      "app",
    ]);
    const text = await logs([]);
    expect(text.stdout).toBe(
      'shop-app-1     | INFO: started\nshop-gateway-1 | {"msg":"ready"}\nshop-app-1     | WARNING: slow',
    );
  });

  it("an unknown service or flag: the error as the last line", async () => {
    const r = await logs(["nope", "--json"]);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: "result", error: { code: "E_USAGE" } });
    const flag = await logs(["--bogus", "--json"]);
    expect(flag.exitCode).toBe(2);
    expect(JSON.parse(flag.stdout)).toMatchObject({
      type: "result",
      error: { code: "E_USAGE", message: "Nonexistent flag: --bogus" },
    });
  });
});

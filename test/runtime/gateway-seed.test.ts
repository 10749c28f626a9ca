/**
 * `stack up`'s sync of gateway.yaml into a database-mode stack. The gateway container is stood in
 * for by a local process running the same command line (the real CLI, built dist/) against a
 * REAL gateway in database mode on a REAL PostgreSQL — the container's mounted file and admin
 * address mapped to the test's, its GATEWAY_ADMIN_TOKEN in the environment as compose puts it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { execa } from "execa";
import { fetch } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { isGatestackError } from "../../src/errors.js";
import { GATEWAY_CONFIG_PATH, PORTS } from "../../src/render/topology.js";
import type { ActualContainer } from "../../src/runtime/actual.js";
import { type ContainerRun, SEED_COMMAND, seedGatewayDatabase } from "../../src/runtime/gateway-seed.js";
import { createReporter, type ProgressEvent } from "../../src/runtime/progress.js";
import type { StackConfig } from "../../src/stack/schema.js";
import { postgresPerFile } from "../gateway/database/_support.js";
import { cleanupsAfterEach } from "../support/cleanups.js";

const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);
const root = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "gw-seed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = "seed-admin-token";
const FILE = join(dir, "gateway.yaml");
writeFileSync(
  FILE,
  `_format_version: "3.0"
services:
  - name: app
    url: http://127.0.0.1:9/
    routes:
      - name: app
        paths: [/app]
plugins:
  - name: cors
`,
);

const stackOf = (database: "off" | "postgres", engine: "gatestack" | "kong" = "gatestack") =>
  ({ gateway: { database, engine } }) as unknown as Pick<StackConfig, "gateway">;

const GATEWAY: ActualContainer = {
  id: "c0ffee",
  name: "demo-gateway-1",
  service: "gateway",
  number: 1,
  configHash: "",
  mountsHash: "",
  imageId: "",
  state: "running",
  status: "Up 5 seconds (healthy)",
  ports: [],
  oneoff: false,
  labels: {},
};

/** The gateway container: the command run locally, its paths mapped to the test's. */
function containerStandIn(adminUrl: string, calls: Array<{ id: string; cmd: string[] }>): ContainerRun {
  return async (id, cmd, timeoutMs) => {
    calls.push({ id, cmd });
    const args = cmd
      .slice(2)
      .map((a) =>
        a === GATEWAY_CONFIG_PATH ? FILE : a === `http://127.0.0.1:${PORTS.gatewayAdmin}` ? adminUrl : a,
      );
    const r = await execa(cmd[0]!, [join(root, cmd[1]!), ...args], {
      reject: false,
      timeout: timeoutMs,
      env: { GATEWAY_ADMIN_TOKEN: TOKEN, NO_COLOR: "1" },
    });
    return { stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut };
  };
}

function recorder() {
  const events: ProgressEvent[] = [];
  return { events, reporter: createReporter((e) => events.push(e)) };
}

const last = (events: ProgressEvent[]) => events.filter((e) => e.type === "task").at(-1);

describe("stack up: gateway.yaml synced into the gateway database", () => {
  it("runs `gateway sync` of the mounted file in a running gateway container; a second up changes nothing", async () => {
    const gw = await db.gateway(await db.freshDatabase(), { adminToken: TOKEN });
    const calls: Array<{ id: string; cmd: string[] }> = [];
    const run = containerStandIn(gw.adminUrl!, calls);
    const seed = (reporter: ReturnType<typeof recorder>["reporter"]) =>
      seedGatewayDatabase({
        docker: {} as Dockerode,
        stack: stackOf("postgres"),
        project: "demo",
        reporter,
        wait: true,
        containers: async () => [{ ...GATEWAY, id: "stopped", state: "exited" }, GATEWAY],
        run,
      });
    const first = recorder();
    const r = await seed(first.reporter);
    expect(r?.summary).toEqual({ create: 3, update: 0, delete: 0, unchanged: 0 });
    expect(calls).toEqual([{ id: "c0ffee", cmd: [...SEED_COMMAND] }]);
    expect(SEED_COMMAND.slice(0, 5)).toEqual([
      "node",
      "bin/run.js",
      "gateway",
      "sync",
      "/etc/gateway/gateway.yaml",
    ]);
    expect(last(first.events)).toMatchObject({
      id: "gateway-sync",
      status: "done",
      detail: "3 created, 0 updated, 0 deleted, 0 unchanged",
    });
    const routes = await fetch(`${gw.adminUrl}/routes/app`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(routes.status).toBe(200);

    const second = recorder();
    expect((await seed(second.reporter))?.writes).toBe(0);
    expect(last(second.events)).toMatchObject({ detail: "0 created, 0 updated, 0 deleted, 3 unchanged" });
  }, 60_000);

  it("a conflict fails `up` with the sync's message; nothing written", async () => {
    const gw = await db.gateway(await db.freshDatabase(), { adminToken: TOKEN });
    const made = await fetch(`${gw.adminUrl}/services`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "app", url: "http://127.0.0.1:9/by-hand" }),
    });
    expect(made.status).toBe(201);
    const { events, reporter } = recorder();
    let err: unknown;
    try {
      await seedGatewayDatabase({
        docker: {} as Dockerode,
        stack: stackOf("postgres"),
        project: "demo",
        reporter,
        wait: true,
        containers: async () => [GATEWAY],
        run: containerStandIn(gw.adminUrl!, []),
      });
    } catch (e) {
      err = e;
    }
    expect(isGatestackError(err) && err.code).toBe("E_GATEWAY_ADMIN");
    expect((err as Error).message).toContain("services app");
    expect((err as Error).message).toContain("gatestack-managed");
    expect(last(events)).toMatchObject({ status: "failed" });
    const plugins = await fetch(`${gw.adminUrl}/plugins`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await plugins.json()) as { data: unknown[] }).data).toEqual([]);
  }, 60_000);

  it("a DB-less stack: nothing run, no task; --no-wait and engine kong: skipped", async () => {
    const calls: Array<{ id: string; cmd: string[] }> = [];
    const run = containerStandIn("http://127.0.0.1:9", calls);
    const base = { docker: {} as Dockerode, project: "demo", containers: async () => [GATEWAY], run };
    const off = recorder();
    expect(
      await seedGatewayDatabase({ ...base, stack: stackOf("off"), reporter: off.reporter, wait: true }),
    ).toBeNull();
    expect(off.events).toEqual([]);
    const noWait = recorder();
    await seedGatewayDatabase({
      ...base,
      stack: stackOf("postgres"),
      reporter: noWait.reporter,
      wait: false,
    });
    expect(last(noWait.events)).toMatchObject({ status: "skipped" });
    expect((last(noWait.events) as { detail: string }).detail).toContain(
      "gateway sync /etc/gateway/gateway.yaml",
    );
    const kong = recorder();
    await seedGatewayDatabase({
      ...base,
      stack: stackOf("postgres", "kong"),
      reporter: kong.reporter,
      wait: true,
    });
    expect(last(kong.events)).toMatchObject({ status: "skipped" });
    expect(calls).toEqual([]);
  });

  it("no running gateway container: an error saying so", async () => {
    const { reporter } = recorder();
    await expect(
      seedGatewayDatabase({
        docker: {} as Dockerode,
        stack: stackOf("postgres"),
        project: "demo",
        reporter,
        wait: true,
        containers: async () => [{ ...GATEWAY, state: "exited" }],
        run: async () => {
          throw new Error("must not run");
        },
      }),
    ).rejects.toThrow("no gateway container is running");
  });
});

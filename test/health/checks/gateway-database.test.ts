/**
 * The gateway layer of `stack health` for a stack in database mode, against a REAL gateway in
 * database mode on a REAL PostgreSQL, its Admin API read by the in-container probe programs run
 * on this host (localExec): replicas compared with each other, and gateway.yaml with what the
 * database holds — the sync plan, read-only.
 */
import { fetch } from "undici";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPluginRegistry, type PluginRegistry } from "../../../src/gateway/plugins/registry.js";
import type { Gateway } from "../../../src/gateway/server.js";
import { syncGateway } from "../../../src/gateway-client/sync.js";
import { gatewayChecks } from "../../../src/health/checks/gateway.js";
import { InContainerHttp } from "../../../src/health/probe/in-container.js";
import type { CheckResult } from "../../../src/health/report.js";
import { postgresPerFile } from "../../gateway/database/_support.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { localExec } from "../support/local-exec.js";
import { ADMIN_TOKEN, fact, type LocalStack, localTargets } from "../support/local-stack.js";

const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);
let registry: PluginRegistry;
beforeAll(async () => {
  registry = await loadPluginRegistry();
});

const FILE = `_format_version: "3.0"
services:
  - name: users
    url: http://127.0.0.1:9/
    routes:
      - name: users
        paths: [/api/users]
consumers:
  - username: demo
`;

async function databaseGateway(): Promise<Gateway> {
  return db.gateway(await db.freshDatabase(), { adminToken: ADMIN_TOKEN });
}

function context(gw: Gateway, text: string | null, replicas = 1) {
  const targets = localTargets(
    { gateway: gw, app: { port: 9 }, renderedText: FILE } as unknown as LocalStack,
    {
      services: [],
    },
  );
  targets.gateway.replicas = replicas;
  targets.gateway.database = { text };
  targets.gatewayConfig = null;
  return {
    targets,
    facts: Array.from({ length: replicas }, (_, i) => fact("gateway", i + 1)),
    timeoutMs: 10_000,
    inContainer: new InContainerHttp(localExec, "node"),
    readLogs: async () => [],
    now: new Date(),
  };
}

async function checksOf(gw: Gateway, text: string | null = FILE, replicas = 1): Promise<CheckResult[]> {
  return (await gatewayChecks(context(gw, text, replicas))).checks;
}

const named = (checks: CheckResult[], name: string) => {
  const c = checks.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name} in ${checks.map((x) => x.name).join(", ")}`);
  return c;
};

const admin = (gw: Gateway, method: string, path: string, body: unknown) =>
  fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("stack health in database mode: the gateway layer", () => {
  it("not synced yet: fails naming what is missing; synced: ok, counting what the Admin API added", async () => {
    const gw = await databaseGateway();
    const before = named(await checksOf(gw), "gateway database");
    expect(before).toMatchObject({
      status: "fail",
      detail: "gateway.yaml is not what the database holds: 3 to create, 0 to update, 0 to delete",
      hint: expect.stringContaining("stack up"),
    });
    expect(before.reason).toContain("create services users");

    await syncGateway({
      file: "gateway.yaml",
      text: FILE,
      adminUrl: gw.adminUrl!,
      adminToken: ADMIN_TOKEN,
      selectTag: "gatestack-managed",
      dryRun: false,
      plugins: registry.get,
    });
    const checks = await checksOf(gw);
    expect(named(checks, "gateway database")).toMatchObject({
      status: "ok",
      detail: "holds gateway.yaml (3 entities)",
    });
    expect(named(checks, "gateway-1 config")).toMatchObject({ status: "ok" });
    expect(named(checks, "gateway-1 config").detail).toMatch(
      /^serves the database's state \([0-9a-f]{12}\)$/,
    );

    expect(
      (await admin(gw, "POST", "/services", { name: "by-hand", url: "http://127.0.0.1:9/" })).status,
    ).toBe(201);
    expect(named(await checksOf(gw), "gateway database")).toMatchObject({
      status: "ok",
      detail: "holds gateway.yaml (3 entities; 1 more made through the Admin API)",
    });

    expect((await admin(gw, "PATCH", "/routes/users", { paths: ["/elsewhere"] })).status).toBe(200);
    expect(named(await checksOf(gw), "gateway database")).toMatchObject({
      status: "fail",
      detail: "gateway.yaml is not what the database holds: 0 to create, 1 to update, 0 to delete",
      reason: "update routes users",
    });
  }, 60_000);

  it("an Admin API entity holding a name of gateway.yaml: a conflict, named", async () => {
    const gw = await databaseGateway();
    expect((await admin(gw, "POST", "/consumers", { username: "demo" })).status).toBe(201);
    const c = named(await checksOf(gw), "gateway database");
    expect(c).toMatchObject({ status: "fail", detail: "1 conflict(s) with gateway.yaml" });
    expect(c.reason).toContain("consumers demo: username=demo is taken by");
  }, 60_000);

  it("two replicas on the same database serve the same state; no gateway.yaml: a warning", async () => {
    const gw = await databaseGateway();
    const checks = await checksOf(gw, null, 2);
    expect(named(checks, "gateway-1 config").status).toBe("ok");
    expect(named(checks, "gateway-2 config").status).toBe("ok");
    expect(named(checks, "gateway database")).toMatchObject({
      status: "warn",
      detail: "config/gateway/gateway.yaml is missing",
    });
  }, 60_000);
});

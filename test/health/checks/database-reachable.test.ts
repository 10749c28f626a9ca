/**
 * `stack health` in database mode: whether the gateway replicas reach the stack's PostgreSQL, as
 * each says in GET /status (`database.reachable`). Two REAL gateways in database mode on one REAL
 * PostgreSQL, their /status read by the in-container probe programs run on this host (localExec);
 * the database stopped and started again under them.
 */
import { describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import {
  DATABASE_REACHABLE_CHECK,
  databaseReachableCheck,
} from "../../../src/health/checks/database-reachable.js";
import { gatewayChecks } from "../../../src/health/checks/gateway.js";
import type { ContainerFacts } from "../../../src/health/facts.js";
import { InContainerHttp, type InContainerOutcome } from "../../../src/health/probe/in-container.js";
import { postgresPerFile } from "../../gateway/database/_support.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { localExec } from "../support/local-exec.js";
import { ADMIN_TOKEN, fact, type LocalStack, localTargets } from "../support/local-stack.js";

const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);

const probe = new InContainerHttp(localExec, "node");

/** Each replica's GET /status, as the gateway layer reads it (one gateway process per replica). */
async function views(
  gateways: Gateway[],
): Promise<Array<{ replica: ContainerFacts; status: InContainerOutcome }>> {
  return Promise.all(
    gateways.map(async (gw, i) => ({
      replica: fact("gateway", i + 1),
      status: await probe.get(`gateway-${i + 1}-id`, { url: `${gw.statusUrl}/status`, timeoutMs: 5000 }),
    })),
  );
}

async function eventuallyStatus(
  gateways: Gateway[],
  status: string,
): Promise<ReturnType<typeof databaseReachableCheck>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const c = databaseReachableCheck(await views(gateways));
    if (c.status === status || Date.now() > deadline) return c;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const outcome = (body: unknown, status = 200): InContainerOutcome => ({
  ok: true,
  status,
  body: JSON.stringify(body),
  ms: 3,
});

describe("stack health in database mode: database reachable", () => {
  it("two replicas on a running database: ok naming both; the database stopped: a failure naming postgres and both replicas; started: ok again", async () => {
    const settings = await db.freshDatabase();
    const gateways = [await db.gateway(settings), await db.gateway(settings)];
    expect(await eventuallyStatus(gateways, "ok")).toMatchObject({
      name: DATABASE_REACHABLE_CHECK,
      layer: "gateway",
      status: "ok",
      detail: "postgres reachable from gateway-1, gateway-2",
    });

    await db.pg().stop();
    try {
      const down = await eventuallyStatus(gateways, "fail");
      expect(down).toMatchObject({
        status: "fail",
        detail: "postgres unreachable from gateway-1, gateway-2",
      });
      expect(down.reason).toContain("cannot reach the database (postgres:5432)");
      expect(down.reason).toContain("Admin API writes answer 503");
      expect(down.hint).toContain("stack logs postgres");
    } finally {
      await db.pg().start();
    }
    expect((await eventuallyStatus(gateways, "ok")).status).toBe("ok");
  }, 60_000);

  it("wired into the gateway layer in database mode only", async () => {
    const gw = await db.gateway(await db.freshDatabase(), { adminToken: ADMIN_TOKEN });
    const targets = localTargets(
      { gateway: gw, app: { port: 9 }, renderedText: "" } as unknown as LocalStack,
      {
        services: [],
        gatewayConfig: null,
      },
    );
    const ctx = (database: boolean) => ({
      targets: {
        ...targets,
        gateway: { ...targets.gateway, ...(database ? { database: { text: null } } : {}) },
      },
      facts: [fact("gateway", 1)],
      timeoutMs: 5000,
      inContainer: probe,
      readLogs: async () => [],
      now: new Date(),
    });
    const inDatabaseMode = (await gatewayChecks(ctx(true))).checks.find(
      (c) => c.name === DATABASE_REACHABLE_CHECK,
    );
    expect(inDatabaseMode).toMatchObject({ status: "ok", detail: "postgres reachable from gateway-1" });
    const dbLess = (await gatewayChecks(ctx(false))).checks.map((c) => c.name);
    expect(dbLess).not.toContain(DATABASE_REACHABLE_CHECK);
  }, 60_000);

  it("a replica that does not say (no database field, /status failed) warns; no replica running warns", () => {
    const [one, two] = [fact("gateway", 1), fact("gateway", 2)];
    const partial = databaseReachableCheck([
      { replica: one, status: outcome({ database: { reachable: true } }) },
      { replica: two, status: outcome({ configuration_hash: "x" }) },
    ]);
    expect(partial).toMatchObject({ status: "warn", detail: "postgres reachable from gateway-1" });
    expect(partial.reason).toContain("gateway-2 did not say");
    const failed = databaseReachableCheck([{ replica: one, status: outcome({ message: "no" }, 500) }]);
    expect(failed).toMatchObject({ status: "warn", detail: "not known" });
    // one replica that cannot reach it is enough to fail, whatever the others say
    const mixed = databaseReachableCheck([
      { replica: one, status: outcome({ database: { reachable: true } }) },
      { replica: two, status: outcome({ database: { reachable: false } }) },
    ]);
    expect(mixed).toMatchObject({ status: "fail", detail: "postgres unreachable from gateway-2" });
    expect(databaseReachableCheck([])).toMatchObject({ status: "warn", detail: "not checked" });
  });
});

import { describe, expect, it } from "vitest";
import { containerChecks } from "../../../src/health/checks/containers.js";
import type { ContainerFacts } from "../../../src/health/facts.js";
import type { HealthTargets } from "../../../src/health/targets.js";
import { fact } from "../support/local-stack.js";

/** Only what the containers layer reads: the expected services and their replicas. */
const targets = {
  gateway: { engine: "gatestack", replicas: 1, adminToken: undefined, statusUrl: "", adminUrl: "" },
  redis: false,
  services: [],
  addons: [],
} as unknown as HealthTargets;

const now = new Date();
const exited = (over: Partial<ContainerFacts>): Partial<ContainerFacts> => ({
  state: "exited",
  running: false,
  health: undefined,
  startedAt: new Date(now.getTime() - 130_000),
  finishedAt: new Date(now.getTime() - 120_000),
  ...over,
});

function run(extra: ContainerFacts[]) {
  const facts = [fact("caddy", 1), fact("gateway", 1), ...extra];
  return containerChecks(targets, facts, 5, now).checks;
}

describe("containers layer: one-shot jobs (database migrations)", () => {
  it("a job that exited 0 under restart: no is ok, shown as completed", () => {
    const checks = run([fact("gateway-migrations", 1, exited({ exitCode: 0, restartPolicy: "no" }))]);
    const job = checks.find((c) => c.name === "gateway-migrations-1");
    expect(job).toMatchObject({ status: "ok", detail: "completed (exit 0) 2 min ago" });
    expect(checks.every((c) => c.status === "ok")).toBe(true);
  });

  it("a job that exited non-zero fails, with its exit code and where to look", () => {
    const checks = run([fact("gateway-migrations", 1, exited({ exitCode: 3, restartPolicy: "no" }))]);
    const job = checks.find((c) => c.name === "gateway-migrations-1");
    expect(job?.status).toBe("fail");
    expect(job?.detail).toBe("exited 3 2 min ago");
    expect(job?.hint).toContain("stack logs gateway-migrations");
  });

  it("a long-running service that exited 0 still fails: only jobs are expected to stop", () => {
    const checks = containerChecks(
      targets,
      [fact("caddy", 1), fact("gateway", 1, exited({ exitCode: 0, restartPolicy: "no" }))],
      5,
      now,
    ).checks;
    expect(checks.find((c) => c.name === "gateway-1")?.status).toBe("fail");
  });

  it("an exited-0 container that should restart (restart: always) is not a completed job", () => {
    const checks = run([fact("worker", 1, exited({ exitCode: 0, restartPolicy: "always" }))]);
    expect(checks.find((c) => c.name === "worker-1")?.status).toBe("fail");
  });
});

describe("containers layer in database mode (gateway.database: postgres)", () => {
  const database = {
    ...targets,
    gateway: { ...targets.gateway, database: { text: null } },
  } as unknown as HealthTargets;
  const checksOf = (t: HealthTargets, extra: ContainerFacts[]) =>
    containerChecks(t, [fact("caddy", 1), fact("gateway", 1), ...extra], 5, now).checks;
  const job = fact("gateway-migrations", 1, exited({ exitCode: 0, restartPolicy: "no" }));

  it("postgres running healthy and the completed migrations job: every check ok", () => {
    const checks = checksOf(database, [fact("postgres", 1, { restartPolicy: "unless-stopped" }), job]);
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ["caddy-1", "ok"],
      ["gateway-1", "ok"],
      ["postgres-1", "ok"],
      ["gateway-migrations-1", "ok"],
    ]);
  });

  it("postgres stopped (docker stop: exit 0 under unless-stopped) fails: it is no job", () => {
    const stopped = fact("postgres", 1, exited({ exitCode: 0, restartPolicy: "unless-stopped" }));
    const pg = checksOf(database, [stopped, job]).find((c) => c.name === "postgres-1");
    expect(pg).toMatchObject({ status: "fail", detail: "exited 0 (stopped) 2 min ago" });
    expect(pg?.hint).toContain("postgres");
  });

  it("no postgres container: the missing database is named; DB-less stacks do not expect one", () => {
    const missing = checksOf(database, [job]).find((c) => c.name === "postgres");
    expect(missing).toMatchObject({ status: "fail", detail: "0 of 1 replica exist" });
    expect(missing?.hint).toContain("stack up");
    expect(checksOf(targets, []).some((c) => c.name.startsWith("postgres"))).toBe(false);
  });
});

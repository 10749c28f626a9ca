import { describe, expect, it } from "vitest";
import { aggregate } from "../../src/health/aggregate.js";
import { containerChecks } from "../../src/health/checks/containers.js";
import { check, type LayerOutcome } from "../../src/health/checks/context.js";
import type { HealthTargets } from "../../src/health/targets.js";
import { fact } from "./support/local-stack.js";

const ok = (layer: LayerOutcome["layer"], name: string) => check(layer, name, "ok", 1, "fine");
const fail = (layer: LayerOutcome["layer"], name: string) =>
  check(layer, name, "fail", 1, "broken", { reason: "r", hint: "h" });
const warn = (layer: LayerOutcome["layer"], name: string) =>
  check(layer, name, "warn", 1, "meh", { reason: "r" });

describe("status and exit code", () => {
  it("healthy (0): every check ok or warn", () => {
    const r = aggregate([
      { layer: "containers", checks: [ok("containers", "caddy-1")] },
      {
        layer: "edge",
        checks: [ok("edge", "HTTPS :443"), warn("edge", "certificate localhost")],
        serves: true,
      },
      { layer: "services", checks: [ok("services", "app through the chain")], serves: true },
    ]);
    expect(r).toMatchObject({ status: "healthy", exitCode: 0 });
    expect(r.layers.map((l) => [l.name, l.status])).toEqual([
      ["containers", "ok"],
      ["edge", "warn"],
      ["services", "ok"],
    ]);
  });

  it("degraded (1): a failing check while the chain serves (a replica down)", () => {
    const r = aggregate([
      { layer: "containers", checks: [ok("containers", "orders-1"), fail("containers", "orders-2")] },
      { layer: "services", checks: [ok("services", "orders through the chain")], serves: true },
      { layer: "gateway", checks: [ok("gateway", "gateway-1 ready")], serves: true },
    ]);
    expect(r).toMatchObject({ status: "degraded", exitCode: 1 });
  });

  it("down (2): any layer proving the chain does not serve", () => {
    const r = aggregate([
      { layer: "gateway", checks: [fail("gateway", "gateway-1 ready")], serves: false },
      { layer: "services", checks: [fail("services", "app through the chain")], serves: false },
    ]);
    expect(r).toMatchObject({ status: "down", exitCode: 2 });
  });

  it("orders layers as the report documents them, whatever order they finished in", () => {
    const r = aggregate([
      { layer: "trace", checks: [ok("trace", "t")] },
      { layer: "containers", checks: [ok("containers", "c")] },
      { layer: "addons", checks: [ok("addons", "a")] },
      { layer: "edge", checks: [ok("edge", "e")] },
    ]);
    expect(r.layers.map((l) => l.name)).toEqual(["containers", "edge", "addons", "trace"]);
  });

  it("reason and hint are kept only on warn and fail", () => {
    expect(check("edge", "x", "ok", 1, "d", { reason: "r", hint: "h" })).toEqual({
      name: "x",
      layer: "edge",
      status: "ok",
      latencyMs: 1,
      detail: "d",
    });
  });
});

describe("containers layer", () => {
  const targets = {
    gateway: { replicas: 2 },
    services: [{ name: "orders", replicas: 1 }],
    addons: [{ name: "prometheus", service: "prometheus", profile: "monitoring" }],
  } as unknown as HealthTargets;
  const now = new Date();

  it("one check per container, with state, health, restarts, OOM and uptime", () => {
    const facts = [
      fact("caddy", 1, { startedAt: new Date(now.getTime() - 2 * 3_600_000) }),
      fact("gateway", 1),
      fact("gateway", 2, { restartCount: 3 }),
      fact("orders", 1, {
        running: false,
        state: "exited",
        exitCode: 137,
        oomKilled: true,
        finishedAt: new Date(now.getTime() - 120_000),
      }),
    ];
    const layer = containerChecks(targets, facts, 12, now);
    expect(layer.checks.map((c) => [c.name, c.status, c.detail])).toEqual([
      ["caddy-1", "ok", "running 2 h, healthy"],
      ["gateway-1", "ok", "running 1 h, healthy"],
      ["gateway-2", "warn", "running 1 h, healthy, restarted 3×"],
      ["orders-1", "fail", "exited 137 (OOM-killed) 2 min ago"],
      ["prometheus", "warn", "not started (compose profile monitoring)"],
    ]);
    const orders = layer.checks.find((c) => c.name === "orders-1")!;
    expect(orders.hint).toContain("memory limit");
    expect(layer.checks.find((c) => c.name === "prometheus")?.hint).toBe(
      "start it with `stack up --profile monitoring`",
    );
  });

  it("missing replicas, unhealthy and starting containers", () => {
    const facts = [
      fact("caddy", 1, { health: "starting" }),
      fact("gateway", 1, { health: "unhealthy", healthLog: "status 503" }),
      fact("orders", 1),
      fact("extra", 1, { health: undefined }),
    ];
    const layer = containerChecks(targets, facts, 5, now);
    const by = (n: string) => layer.checks.find((c) => c.name === n)!;
    expect(by("caddy-1")).toMatchObject({
      status: "warn",
      reason: "healthcheck has not passed yet (still starting)",
    });
    expect(by("gateway-1")).toMatchObject({ status: "fail", reason: "healthcheck failing: status 503" });
    expect(by("gateway")).toMatchObject({ status: "fail", detail: "1 of 2 replicas exist" });
    // services not in stack.yaml (compose.override.yaml) are checked too
    expect(by("extra-1")).toMatchObject({ status: "ok", detail: "running 1 h" });
  });

  it("a missing Redis fails when the gateway replicas share their state in one", () => {
    const facts = [fact("caddy", 1), fact("gateway", 1), fact("gateway", 2), fact("orders", 1)];
    const without = containerChecks(targets, facts, 5, now);
    expect(without.checks.some((c) => c.name === "redis")).toBe(false);
    const layer = containerChecks({ ...targets, redis: true }, facts, 5, now);
    expect(layer.checks.find((c) => c.name === "redis")).toMatchObject({
      status: "fail",
      detail: "0 of 1 replica exist",
    });
  });
});

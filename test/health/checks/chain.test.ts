import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { gatewayChecks } from "../../../src/health/checks/gateway.js";
import { serviceChecks } from "../../../src/health/checks/services.js";
import { traceCheck } from "../../../src/health/checks/trace.js";
import type { CheckResult } from "../../../src/health/report.js";
import {
  gatewayDoc,
  type LocalStack,
  localContext,
  localFacts,
  localTargets,
  startLocalStack,
} from "../support/local-stack.js";

/**
 * Gateway, services and trace checks against the real gateway in front of a local app, with
 * faults injected into the app, the gateway config and the container facts.
 */
describe("gateway, services and trace checks on a local gateway + app", () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack();
  });
  afterAll(() => stack.close());
  afterEach(async () => {
    stack.app.healthStatus = 200;
  });

  const byName = (checks: CheckResult[], name: string): CheckResult => {
    const c = checks.find((x) => x.name === name);
    if (!c) throw new Error(`no check ${name} in ${checks.map((x) => x.name).join(", ")}`);
    return c;
  };

  it("healthy: replica ready, config hash equals the rendered file, upstream healthy, app ok both ways", async () => {
    const ctx = localContext(stack, localTargets(stack), localFacts());
    const [gw, svc] = await Promise.all([gatewayChecks(ctx), serviceChecks(ctx)]);
    expect(gw.checks.map((c) => [c.name, c.status])).toEqual([
      ["gateway-1 ready", "ok"],
      ["gateway-1 config", "ok"],
      ["upstream users.upstream", "ok"],
    ]);
    expect(byName(gw.checks, "gateway-1 config").detail).toContain("serves config/gateway/gateway.yaml");
    expect(byName(gw.checks, "upstream users.upstream").detail).toBe(
      `127.0.0.1:${stack.app.port} → 1 healthy address`,
    );
    expect(gw.serves).toBeUndefined();
    expect(svc.checks.map((c) => [c.name, c.status])).toEqual([
      ["users through the chain", "ok"],
      ["users-1 direct", "ok"],
    ]);
    expect(byName(svc.checks, "users through the chain").detail).toMatch(
      /^GET \/api\/users\/health: 200 OK in /,
    );
    expect(svc.serves).toBe(true);
  });

  it("app answers 500: app fault, named on both probes", async () => {
    stack.app.healthStatus = 500;
    const ctx = localContext(stack, localTargets(stack), localFacts());
    const svc = await serviceChecks(ctx);
    const direct = byName(svc.checks, "users-1 direct");
    expect(direct.status).toBe("fail");
    expect(direct.reason).toContain("/health answered 500 Internal Server Error");
    const chain = byName(svc.checks, "users through the chain");
    expect(chain.status).toBe("fail");
    expect(chain.reason).toBe(
      'app fault: users answered 500 Internal Server Error "{"status":"broken"}" through the chain and fails directly too',
    );
    expect(svc.serves).toBe(false);
  });

  it("app container OOM-killed: the chain failure names the container fact", async () => {
    const facts = localFacts({
      users: { running: false, state: "exited", exitCode: 137, oomKilled: true, name: "shop-users-1" },
    });
    await stack.app.close();
    try {
      const ctx = localContext(stack, localTargets(stack), facts);
      const svc = await serviceChecks(ctx);
      const chain = byName(svc.checks, "users through the chain");
      expect(chain.status).toBe("fail");
      expect(chain.reason).toMatch(
        /^gateway → users: container shop-users-1 exited 137: OOM \(gateway answered 50[23]/,
      );
      expect(chain.hint).toContain("memory limit");
      expect(byName(svc.checks, "users-1 direct")).toMatchObject({
        status: "fail",
        latencyMs: null,
        detail: "not running",
      });
    } finally {
      await stack.app.reopen();
    }
  });

  it("app process gone while the container runs: connection refused on the app's address", async () => {
    await stack.app.close();
    try {
      const ctx = localContext(stack, localTargets(stack), localFacts());
      const svc = await serviceChecks(ctx);
      const direct = byName(svc.checks, "users-1 direct");
      expect(direct.reason).toBe(
        `gateway → 127.0.0.1:${stack.app.port}: connection refused on 127.0.0.1:${stack.app.port}`,
      );
      const chain = byName(svc.checks, "users through the chain");
      expect(chain.reason).toContain(`gateway → users: connection refused on 127.0.0.1:${stack.app.port}`);
    } finally {
      await stack.app.reopen();
    }
  });

  it("routing fault: the gateway has no route while the app answers directly; the config check names the drift", async () => {
    await stack.gateway.apply(gatewayDoc(stack.app.port, { withRoute: false }));
    try {
      const ctx = localContext(stack, localTargets(stack), localFacts());
      const [gw, svc] = await Promise.all([gatewayChecks(ctx), serviceChecks(ctx)]);
      const chain = byName(svc.checks, "users through the chain");
      expect(chain.status).toBe("fail");
      expect(chain.reason).toBe(
        'routing fault: users answers directly but not through the chain — gateway answered 404 Not Found "no Route matched with those values"',
      );
      expect(byName(svc.checks, "users-1 direct").status).toBe("ok");
      const config = byName(gw.checks, "gateway-1 config");
      expect(config.status).toBe("fail");
      expect(config.reason).toBe(
        "the gateway serves a different configuration than config/gateway/gateway.yaml",
      );
      expect(config.hint).toContain("docker kill -s HUP shop-gateway-1");
    } finally {
      await stack.gateway.apply(stack.renderedText);
    }
  });

  it("a wrong admin token: the upstream check says the Admin API refused the token from .env", async () => {
    const targets = localTargets(stack);
    targets.gateway.adminToken = "not-the-token";
    const gw = await gatewayChecks(localContext(stack, targets, localFacts()));
    const up = byName(gw.checks, "upstream users.upstream");
    expect(up.status).toBe("fail");
    expect(up.reason).toBe("the Admin API refused GATEWAY_ADMIN_TOKEN from .env");
  });

  it("gateway container stopped: the gateway layer fails naming the replica, without probing it", async () => {
    const facts = localFacts({
      gateway: { running: false, state: "exited", exitCode: 0, finishedAt: new Date(Date.now() - 5000) },
    });
    const gw = await gatewayChecks(localContext(stack, localTargets(stack), facts));
    const ready = byName(gw.checks, "gateway-1 ready");
    expect(ready).toMatchObject({ status: "fail", detail: "not running" });
    expect(ready.reason).toMatch(/^container shop-gateway-1 exited 0 \(stopped\) \d+ s ago$/);
    expect(byName(gw.checks, "upstream users.upstream").reason).toBe("no gateway replica is running");
  });

  it("trace: the fresh X-Request-ID is found in the gateway's access log and echoed by the app, with time per hop", async () => {
    const ctx = localContext(stack, localTargets(stack), localFacts());
    const t = await traceCheck(ctx);
    expect(t.trace).not.toBeNull();
    const trace = t.trace!;
    expect(trace.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(trace.seenAt).toEqual({ gateway: trace.requestId, app: trace.requestId });
    expect(stack.app.requestIds).toContain(trace.requestId);
    expect(trace.httpStatus).toBe(200);
    const h = trace.hops;
    expect(h.gatewayMs).not.toBeNull();
    expect(h.upstreamMs).not.toBeNull();
    expect(h.totalMs).toBeGreaterThan(0);
    expect(h.edgeMs! + h.gatewayMs! + h.upstreamMs!).toBeCloseTo(h.totalMs!, 0);
    expect(t.checks[0]).toMatchObject({ status: "ok", name: "X-Request-ID through the chain" });
    expect(t.checks[0]!.detail).toContain("gateway ✓ app ✓");
  });

  it("trace: when the gateway log has no line for the request, the trace warns", async () => {
    const ctx = { ...localContext(stack, localTargets(stack), localFacts()), readLogs: async () => [] };
    const t = await traceCheck(ctx);
    expect(t.trace?.seenAt.gateway).toBeNull();
    expect(t.checks[0]).toMatchObject({
      status: "warn",
      reason: expect.stringContaining("no gateway access-log line"),
    });
  });
});

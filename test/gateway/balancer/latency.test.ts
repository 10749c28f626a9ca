/**
 * Kong's `latency` upstream algorithm (kong/runloop/balancer/latency.lua): through a running
 * gateway against two real upstreams on 127.0.0.1, one of them slow; and the moving average
 * itself (decay, weights, slow start, exclusions) on the algorithm with a clock the test moves.
 */
import { describe, expect, it } from "vitest";
import type { Peer } from "../../../src/gateway/balancer/algorithms.js";
import { HealthCounter } from "../../../src/gateway/balancer/health.js";
import { DECAY_SECONDS, LatencyEwma } from "../../../src/gateway/balancer/latency.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { rawRequest, startEchoUpstream, startTestGateway } from "../../support/gateway.js";

const cleanups = cleanupsAfterEach();

function peer(key: string, weight = 100): Peer {
  const [ip = "", port = "0"] = key.split(":");
  return {
    key,
    ip,
    port: Number(port),
    weight,
    target: key,
    hostname: ip,
    targetId: key,
    health: new HealthCounter(),
    active: 0,
    current: 0,
  };
}

describe("latency through the gateway", () => {
  it("sends less traffic to the target that answers slowly", async () => {
    const slow = await startEchoUpstream({
      handler: async (_req, res) => {
        await new Promise((r) => setTimeout(r, 150));
        res.end("slow");
        return true;
      },
    });
    const fast = await startEchoUpstream();
    cleanups.push(
      () => slow.close(),
      () => fast.close(),
    );
    const gw = await startTestGateway({
      _format_version: "3.0",
      services: [{ name: "svc", host: "pool", routes: [{ paths: ["/"] }] }],
      upstreams: [
        {
          name: "pool",
          algorithm: "latency",
          targets: [{ target: `127.0.0.1:${slow.port}` }, { target: `127.0.0.1:${fast.port}` }],
        },
      ],
    });
    cleanups.push(() => gw.close());
    for (let i = 0; i < 40; i++) {
      const res = await rawRequest(gw.proxyUrl, "/");
      expect(res.status).toBe(200);
    }
    expect(slow.requests.length + fast.requests.length).toBe(40);
    // the slow one is tried (both start at the same average) but loses most comparisons after
    // (round-robin would give it 20)
    expect(slow.requests.length).toBeGreaterThan(0);
    expect(slow.requests.length).toBeLessThanOrEqual(10);
  });
});

describe("the moving average", () => {
  function clocked(peers: Peer[]) {
    let t = 1000;
    const algo = new LatencyEwma(() => t);
    algo.rebuild(peers);
    return { algo, advance: (s: number) => (t += s) };
  }

  it("an answer after a long silence replaces the average; a quick one moves it by 1 - e^(-Δt/10s)", () => {
    const a = peer("10.0.0.1:80");
    const { algo, advance } = clocked([a]);
    advance(1000);
    algo.observe(a, 0.5);
    expect(algo.average(a)).toBeCloseTo(0.5, 6);
    advance(1);
    algo.observe(a, 0.1);
    const w = Math.exp(-1 / DECAY_SECONDS);
    expect(algo.average(a)).toBeCloseTo(0.5 * w + 0.1 * (1 - w), 6);
  });

  it("an idle address decays towards zero and is tried again", () => {
    const slow = peer("10.0.0.1:80");
    const fast = peer("10.0.0.2:80");
    const { algo, advance } = clocked([slow, fast]);
    advance(1000);
    algo.observe(slow, 1);
    algo.observe(fast, 0.1);
    expect(algo.pick([slow, fast], null, null)).toBe(fast);
    algo.observe(fast, 0.1);
    // 30 s later the slow one's average is 1·e^-3 ≈ 0.05, below the fast one's last answer... which
    // decays as well: the fast one was touched just now, so it stays near 0.1 until observed again
    advance(30);
    algo.observe(fast, 0.1);
    expect(algo.average(slow)).toBeCloseTo(Math.exp(-3), 6);
    expect(algo.pick([slow, fast], null, null)).toBe(slow);
  });

  it("divides the average by the weight", () => {
    const heavy = peer("10.0.0.1:80", 400);
    const light = peer("10.0.0.2:80", 100);
    const { algo, advance } = clocked([heavy, light]);
    advance(1000);
    algo.observe(heavy, 0.3); // 0.3 / 400 beats 0.1 / 100
    algo.observe(light, 0.1);
    expect(algo.pick([heavy, light], null, null)).toBe(heavy);
  });

  it("a new address starts at the mean of the available ones (slow start), a removed one is forgotten", () => {
    const a = peer("10.0.0.1:80");
    const b = peer("10.0.0.2:80");
    const { algo, advance } = clocked([a, b]);
    advance(1000);
    algo.observe(a, 0.2);
    algo.observe(b, 0.4);
    const c = peer("10.0.0.3:80");
    algo.rebuild([a, b, c]);
    // Kong counts the new address itself in the mean (as 0): (0.2 + 0.4 + 0) / 3
    expect(algo.average(c)).toBeCloseTo(0.2, 6);
    algo.rebuild([b, c]);
    advance(1000);
    algo.observe(b, 0.4);
    algo.rebuild([a, b, c]);
    // a came back as a new address: the mean of the stored averages of b (0.4), c (0.2, its slow
    // start, not decayed: Kong sums the stored values) and itself (0)
    expect(algo.average(a)).toBeCloseTo(0.2, 6);
  });

  it("skips excluded (already tried), unhealthy and weight-0 addresses", () => {
    const a = peer("10.0.0.1:80");
    const b = peer("10.0.0.2:80");
    const off = peer("10.0.0.3:80", 0);
    const { algo, advance } = clocked([a, b, off]);
    advance(1000);
    algo.observe(a, 0.01);
    algo.observe(b, 1);
    expect(algo.pick([a, b, off], null, new Set([a]))).toBe(b);
    b.health.setHealthy(false);
    expect(algo.pick([a, b, off], null, new Set([a]))).toBeNull();
  });
});

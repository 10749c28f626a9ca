/**
 * Load-balancing algorithms: through a running gateway against real upstreams (Kong's
 * 10-balancer specs: round-robin weights, least-connections, consistent hashing), plus the
 * ring's stability measured directly on the algorithm.
 */
import { describe, expect, it } from "vitest";
import { ConsistentHashing, type Peer } from "../../../src/gateway/balancer/algorithms.js";
import { HealthCounter } from "../../../src/gateway/balancer/health.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { type EchoUpstream, rawRequest, startEchoUpstream, startTestGateway } from "../../support/gateway.js";

const cleanups = cleanupsAfterEach();

async function upstreams(
  n: number,
  opts: Parameters<typeof startEchoUpstream>[0] = {},
): Promise<EchoUpstream[]> {
  const list = await Promise.all(Array.from({ length: n }, () => startEchoUpstream(opts)));
  for (const u of list) cleanups.push(() => u.close());
  return list;
}

async function gateway(
  upstream: Record<string, unknown>,
  targets: Array<{ target: string; weight?: number }>,
) {
  const gw = await startTestGateway({
    _format_version: "3.0",
    services: [{ name: "svc", host: "pool", routes: [{ paths: ["/"] }] }],
    upstreams: [{ name: "pool", ...upstream, targets }],
  });
  cleanups.push(() => gw.close());
  return gw;
}

function counts(list: EchoUpstream[]): number[] {
  return list.map((u) => u.requests.length);
}

describe("round-robin", () => {
  it("distributes exactly by weight", async () => {
    const ups = await upstreams(3);
    const gw = await gateway(
      { algorithm: "round-robin" },
      ups.map((u, i) => ({ target: `127.0.0.1:${u.port}`, weight: [100, 50, 50][i] })),
    );
    for (let i = 0; i < 400; i++) await rawRequest(gw.proxyUrl, "/");
    expect(counts(ups)).toEqual([200, 100, 100]);
  });

  it("interleaves instead of bursting (smooth weighted round-robin)", async () => {
    const ups = await upstreams(2);
    const gw = await gateway(
      {},
      ups.map((u, i) => ({ target: `127.0.0.1:${u.port}`, weight: [2, 1][i] })),
    );
    const seq: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = counts(ups);
      await rawRequest(gw.proxyUrl, "/");
      seq.push(counts(ups).findIndex((c, j) => c !== before[j]));
    }
    expect(seq).toEqual([0, 1, 0, 0, 1, 0]);
  });
});

describe("least-connections", () => {
  it("sends new requests to the target with the fewest in flight", async () => {
    const [slow] = await upstreams(1, {
      handler: async (_req, res) => {
        await new Promise((r) => setTimeout(r, 400));
        res.end("slow");
        return true;
      },
    });
    const [fast] = await upstreams(1);
    const gw = await gateway({ algorithm: "least-connections" }, [
      { target: `127.0.0.1:${slow!.port}` },
      { target: `127.0.0.1:${fast!.port}` },
    ]);
    // 10 concurrent clients issuing requests back to back for a while
    const deadline = Date.now() + 1200;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (Date.now() < deadline) await rawRequest(gw.proxyUrl, "/");
      }),
    );
    expect(fast!.requests.length).toBeGreaterThan(slow!.requests.length * 5);
    expect(slow!.requests.length).toBeGreaterThan(0);
  });
});

describe("consistent-hashing", () => {
  it("maps the same header value to the same target, spreading values over targets", async () => {
    const ups = await upstreams(3);
    const gw = await gateway(
      { algorithm: "consistent-hashing", hash_on: "header", hash_on_header: "x-user" },
      ups.map((u) => ({ target: `127.0.0.1:${u.port}` })),
    );
    const owner = new Map<string, number>();
    for (let round = 0; round < 3; round++) {
      for (let user = 0; user < 60; user++) {
        const before = counts(ups);
        await rawRequest(gw.proxyUrl, "/", { headers: { "x-user": `user-${user}` } });
        const hit = counts(ups).findIndex((c, j) => c !== before[j]);
        if (round === 0) owner.set(`user-${user}`, hit);
        else expect(hit).toBe(owner.get(`user-${user}`));
      }
    }
    const perTarget = [0, 1, 2].map((t) => [...owner.values()].filter((o) => o === t).length);
    for (const n of perTarget) expect(n).toBeGreaterThan(5);
  });

  it("falls back to the fallback hash when the primary value is missing", async () => {
    const ups = await upstreams(3);
    const gw = await gateway(
      {
        algorithm: "consistent-hashing",
        hash_on: "header",
        hash_on_header: "x-user",
        hash_fallback: "query_arg",
        hash_fallback_query_arg: "session",
      },
      ups.map((u) => ({ target: `127.0.0.1:${u.port}` })),
    );
    const first = counts(ups);
    await rawRequest(gw.proxyUrl, "/?session=abc");
    const t = counts(ups).findIndex((c, j) => c !== first[j]);
    for (let i = 0; i < 10; i++) await rawRequest(gw.proxyUrl, "/?session=abc");
    expect(ups[t]!.requests.length).toBe(11);
  });

  it("hash_on cookie: a client without the cookie gets one, and sticks to one target with it", async () => {
    const ups = await upstreams(3);
    const gw = await gateway(
      {
        algorithm: "consistent-hashing",
        hash_on: "cookie",
        hash_on_cookie: "sticky",
        hash_on_cookie_path: "/app",
      },
      ups.map((u) => ({ target: `127.0.0.1:${u.port}` })),
    );
    const first = await rawRequest(gw.proxyUrl, "/");
    const setCookie = String(first.headers["set-cookie"]);
    expect(setCookie).toMatch(/^sticky=[0-9a-f]{32}; Path=\/app$/);
    const cookie = setCookie.split(";")[0]!;
    const before = counts(ups);
    for (let i = 0; i < 12; i++) {
      const res = await rawRequest(gw.proxyUrl, "/", { headers: { cookie } });
      expect(res.headers["set-cookie"]).toBeUndefined();
    }
    const hits = counts(ups).map((c, j) => c - before[j]!);
    expect(hits.filter((h) => h > 0)).toEqual([12]);
  });

  it("hash_on ip keeps a client on one target", async () => {
    const ups = await upstreams(3);
    const gw = await gateway(
      { algorithm: "consistent-hashing", hash_on: "ip" },
      ups.map((u) => ({ target: `127.0.0.1:${u.port}` })),
    );
    for (let i = 0; i < 20; i++) await rawRequest(gw.proxyUrl, "/");
    expect(counts(ups).sort((a, b) => a - b)).toEqual([0, 0, 20]);
  });
});

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

describe("the hash ring", () => {
  it("adding a target moves only about 1/n of the keys, all of them to the new target", () => {
    const peers = ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80"].map((k) => peer(k));
    const ring = new ConsistentHashing(10000);
    ring.rebuild(peers);
    const keys = Array.from({ length: 5000 }, (_, i) => `client-${i}`);
    const before = keys.map((k) => ring.pick(peers, k, null)!.key);
    const grown = [...peers, peer("10.0.0.5:80")];
    ring.rebuild(grown);
    const after = keys.map((k) => ring.pick(grown, k, null)!.key);
    const moved = keys.filter((_, i) => before[i] !== after[i]);
    expect(moved.length / keys.length).toBeGreaterThan(0.1);
    expect(moved.length / keys.length).toBeLessThan(0.3);
    expect(moved.every((k) => after[keys.indexOf(k)] === "10.0.0.5:80")).toBe(true);
  });

  it("an unhealthy target's keys go to the next target on the ring; others stay", () => {
    const peers = ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"].map((k) => peer(k));
    const ring = new ConsistentHashing(1000);
    ring.rebuild(peers);
    const keys = Array.from({ length: 2000 }, (_, i) => `k${i}`);
    const before = keys.map((k) => ring.pick(peers, k, null)!.key);
    peers[1]!.health.setHealthy(false);
    const after = keys.map((k) => ring.pick(peers, k, null)!.key);
    for (let i = 0; i < keys.length; i++) {
      if (before[i] !== "10.0.0.2:80") expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe("10.0.0.2:80");
    }
  });

  it("weights shape the share of keys", () => {
    const peers = [peer("10.0.0.1:80", 300), peer("10.0.0.2:80", 100)];
    const ring = new ConsistentHashing(10000);
    ring.rebuild(peers);
    let heavy = 0;
    for (let i = 0; i < 10000; i++) if (ring.pick(peers, `key-${i}`, null)!.key === "10.0.0.1:80") heavy++;
    expect(heavy / 10000).toBeGreaterThan(0.65);
    expect(heavy / 10000).toBeLessThan(0.85);
  });
});

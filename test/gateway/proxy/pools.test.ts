/**
 * Upstream connection pools: one per target (and connect timeout), remembered by the peer
 * that uses it, and closed once unused for the idle period (targets removed by a reload or a
 * DNS change do not keep pools and sockets alive).
 */
import { describe, expect, it } from "vitest";
import { type PoolHolder, requestTarget, UpstreamPools } from "../../../src/gateway/transport/dispatch.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { type EchoUpstream, startEchoUpstream } from "../../support/gateway.js";

const cleanups = cleanupsAfterEach();

async function upstream(): Promise<EchoUpstream> {
  const up = await startEchoUpstream();
  cleanups.push(() => up.close());
  return up;
}

describe("upstream pools", () => {
  it("a holder keeps its entry; a different connect timeout or target gets another pool", async () => {
    const pools = new UpstreamPools();
    cleanups.push(() => pools.close());
    const target = { host: "127.0.0.1", port: 1, protocol: "http" as const };
    const holder: PoolHolder = {};
    const a = pools.entry(target, 1000, holder);
    expect(holder.poolEntry).toBe(a);
    expect(pools.entry({ ...target }, 1000, holder)).toBe(a);
    const b = pools.entry(target, 2000, holder);
    expect(b).not.toBe(a);
    expect(holder.poolEntry).toBe(b);
    expect(pools.entry({ ...target, port: 2 }, 2000)).not.toBe(b);
    expect(pools.size).toBe(3);
  });

  it("a pool unused across sweeps is closed; one in use survives; its holder gets a fresh one", async () => {
    const kept = await upstream();
    const gone = await upstream();
    const pools = new UpstreamPools();
    cleanups.push(() => pools.close());
    const keptTarget = { host: "127.0.0.1", port: kept.port, protocol: "http" as const };
    const goneTarget = { host: "127.0.0.1", port: gone.port, protocol: "http" as const };
    const request = {
      method: "GET",
      path: "/",
      headers: {},
      connectTimeout: 1000,
      headersTimeout: 1000,
      bodyTimeout: 1000,
    };
    const holder: PoolHolder = {};
    expect((await requestTarget(pools, keptTarget, request)).status).toBe(200);
    expect((await requestTarget(pools, goneTarget, request)).status).toBe(200);
    const goneEntry = pools.entry(goneTarget, 1000, holder);
    expect(pools.size).toBe(2);

    pools.sweep(0); // clears the "used" marks
    expect((await requestTarget(pools, keptTarget, request)).status).toBe(200);
    pools.sweep(0); // gone was not used since: closed; kept was
    expect(pools.size).toBe(1);
    expect(goneEntry.closed).toBe(true);
    // the target comes back (a reload): its holder is handed a new, working pool
    const fresh = pools.entry(goneTarget, 1000, holder);
    expect(fresh).not.toBe(goneEntry);
    expect(fresh.closed).toBe(false);
    expect((await requestTarget(pools, goneTarget, request)).status).toBe(200);
  });
});

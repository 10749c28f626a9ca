/**
 * Upstream failures (Kong: 502 invalid response, 504 timeout, 503 no peer, retries on the
 * next target) and fault tests: upstream killed under load, slow and resetting upstreams.
 */
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import {
  type EchoUpstream,
  rawRequest,
  startEchoUpstream,
  testGatewaysClosedBy,
} from "../../support/gateway.js";

const cleanups = cleanupsAfterEach();

const gateway = testGatewaysClosedBy(cleanups);

async function echo(opts: Parameters<typeof startEchoUpstream>[0] = {}): Promise<EchoUpstream> {
  const up = await startEchoUpstream(opts);
  cleanups.push(() => up.close());
  return up;
}

/** A TCP server with raw control of what the "upstream" does with each connection. */
async function tcpServer(
  onConnection: (socket: Socket) => void,
): Promise<{ port: number; server: NetServer }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as AddressInfo).port, server };
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function serviceDoc(url: string, extra: Record<string, unknown> = {}) {
  return { _format_version: "3.0", services: [{ name: "svc", url, ...extra, routes: [{ paths: ["/"] }] }] };
}

describe("error answers", () => {
  it("502 when the upstream answers something that is not HTTP", async () => {
    const { port } = await tcpServer((s) => s.once("data", () => s.end("HELLO THERE\r\n\r\n")));
    const gw = await gateway(serviceDoc(`http://127.0.0.1:${port}`, { retries: 0 }));
    const res = await rawRequest(gw.proxyUrl, "/");
    expect(res.status).toBe(502);
    expect((res.json as { message: string }).message).toBe(
      "An invalid response was received from the upstream server",
    );
  });

  it("502 when the connection is refused (after retries), with the proxied request's latencies", async () => {
    const gw = await gateway(serviceDoc(`http://127.0.0.1:${await deadPort()}`, { retries: 2 }));
    const res = await rawRequest(gw.proxyUrl, "/");
    expect(res.status).toBe(502);
    // Kong: the upstream was tried (ctx.KONG_PROXIED), so upstream and proxy latency, no response latency
    expect(res.headers["x-kong-upstream-latency"]).toMatch(/^\d+$/);
    expect(res.headers["x-kong-proxy-latency"]).toMatch(/^\d+$/);
    expect(res.headers["x-kong-response-latency"]).toBeUndefined();
  });

  it("504 when the upstream is slower than read_timeout", async () => {
    const slow = await echo({
      handler: async (_req, res) => {
        await new Promise((r) => setTimeout(r, 800));
        res.end("late");
        return true;
      },
    });
    const gw = await gateway(serviceDoc(slow.url, { read_timeout: 150, retries: 0 }));
    const t0 = Date.now();
    const res = await rawRequest(gw.proxyUrl, "/");
    expect(res.status).toBe(504);
    expect((res.json as { message: string }).message).toBe("The upstream server is timing out");
    expect(Date.now() - t0).toBeLessThan(700);
  });

  it("504 when the upstream stops reading the request body for longer than write_timeout", async () => {
    // accepts the connection, never reads: the gateway's writes stall once the socket buffers fill
    const { port } = await tcpServer((s) => s.pause());
    const gw = await gateway(serviceDoc(`http://127.0.0.1:${port}`, { write_timeout: 300, retries: 0 }));
    const t0 = Date.now();
    const res = await rawRequest(gw.proxyUrl, "/upload", {
      method: "POST",
      body: Buffer.alloc(32 * 1024 * 1024, 1),
    });
    expect(res.status).toBe(504);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("write_timeout holds beside a short read_timeout (the precise read timer leaves the write timer running)", async () => {
    const { port } = await tcpServer((s) => s.pause());
    const gw = await gateway(
      serviceDoc(`http://127.0.0.1:${port}`, { write_timeout: 300, read_timeout: 4000, retries: 0 }),
    );
    const t0 = Date.now();
    const res = await rawRequest(gw.proxyUrl, "/upload", {
      method: "POST",
      body: Buffer.alloc(32 * 1024 * 1024, 1),
    });
    expect(res.status).toBe(504);
    // the write timer, not the read timer 4 s later, ended the attempt
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it("503 failure to get a peer when the upstream has no usable target", async () => {
    const gw = await gateway({
      _format_version: "3.0",
      services: [
        { name: "svc", host: "empty", routes: [{ paths: ["/empty"] }] },
        { name: "zero", host: "zero", routes: [{ paths: ["/zero"] }] },
      ],
      upstreams: [{ name: "empty" }, { name: "zero", targets: [{ target: "127.0.0.1:9", weight: 0 }] }],
    });
    for (const path of ["/empty", "/zero"]) {
      const res = await rawRequest(gw.proxyUrl, path);
      expect(res.status).toBe(503);
      expect((res.json as { message: string }).message).toBe("failure to get a peer from the ring-balancer");
      // no upstream was tried: the gateway's own answer
      expect(res.headers["x-kong-response-latency"]).toMatch(/^\d+$/);
      expect(res.headers["x-kong-upstream-latency"]).toBeUndefined();
    }
  });

  it("503 when a service host cannot be resolved", async () => {
    const gw = await gateway(serviceDoc("http://no-such-host.invalid:8080", { retries: 0 }));
    const res = await rawRequest(gw.proxyUrl, "/");
    expect(res.status).toBe(503);
    expect((res.json as { message: string }).message).toBe("name resolution failed");
  });
});

describe("retries", () => {
  it("a refused connection is retried on the next target", async () => {
    const alive = await echo();
    const gw = await gateway({
      _format_version: "3.0",
      services: [{ name: "svc", host: "pool", retries: 3, routes: [{ paths: ["/"] }] }],
      upstreams: [
        {
          name: "pool",
          targets: [{ target: `127.0.0.1:${await deadPort()}` }, { target: `127.0.0.1:${alive.port}` }],
        },
      ],
    });
    for (let i = 0; i < 10; i++) {
      const res = await rawRequest(gw.proxyUrl, "/", {
        method: i % 2 ? "POST" : "GET",
        body: i % 2 ? "payload" : undefined,
      });
      expect(res.status).toBe(200);
    }
    expect(alive.requests).toHaveLength(10);
    expect(alive.requests.filter((r) => r.method === "POST").every((r) => r.body === "payload")).toBe(true);
  });

  it("retries: 0 means one attempt", async () => {
    const alive = await echo();
    const gw = await gateway({
      _format_version: "3.0",
      services: [{ name: "svc", host: "pool", retries: 0, routes: [{ paths: ["/"] }] }],
      upstreams: [
        {
          name: "pool",
          targets: [{ target: `127.0.0.1:${await deadPort()}` }, { target: `127.0.0.1:${alive.port}` }],
        },
      ],
    });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await rawRequest(gw.proxyUrl, "/")).status);
    expect(statuses.filter((s) => s === 502)).toHaveLength(2);
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
  });

  it("a connection reset before the response is retried for idempotent methods only", async () => {
    let resets = 0;
    const { port } = await tcpServer((s) =>
      s.once("data", () => {
        resets++;
        s.resetAndDestroy();
      }),
    );
    const alive = await echo();
    const gw = await gateway({
      _format_version: "3.0",
      services: [{ name: "svc", host: "pool", retries: 2, routes: [{ paths: ["/"] }] }],
      upstreams: [
        { name: "pool", targets: [{ target: `127.0.0.1:${port}` }, { target: `127.0.0.1:${alive.port}` }] },
      ],
    });
    const gets = await Promise.all([0, 1, 2, 3].map(() => rawRequest(gw.proxyUrl, "/")));
    expect(gets.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(resets).toBeGreaterThan(0);
    resets = 0;
    const posts = [];
    for (let i = 0; i < 4; i++)
      posts.push((await rawRequest(gw.proxyUrl, "/", { method: "POST", body: "x" })).status);
    expect(posts.filter((s) => s === 502)).toHaveLength(resets);
    expect(resets).toBeGreaterThan(0);
  });
});

describe("fault tests", () => {
  it("an upstream killed under load: requests fail over to the surviving target", async () => {
    const survivor = await echo();
    const victim = await startEchoUpstream({
      handler: async (_req, res) => {
        await new Promise((r) => setTimeout(r, 5));
        res.end("victim");
        return true;
      },
    });
    let victimClosed = false;
    cleanups.push(() => (victimClosed ? undefined : victim.close()));
    const gw = await gateway({
      _format_version: "3.0",
      services: [{ name: "svc", host: "pool", retries: 5, routes: [{ paths: ["/"] }] }],
      upstreams: [
        {
          name: "pool",
          targets: [{ target: `127.0.0.1:${victim.port}` }, { target: `127.0.0.1:${survivor.port}` }],
        },
      ],
    });
    const statuses: number[] = [];
    const load = (async () => {
      const workers = Array.from({ length: 20 }, async () => {
        for (let i = 0; i < 25; i++) statuses.push((await rawRequest(gw.proxyUrl, `/n${i}`)).status);
      });
      await Promise.all(workers);
    })();
    await new Promise((r) => setTimeout(r, 60));
    victimClosed = true;
    await victim.close();
    await load;
    expect(statuses).toHaveLength(500);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(survivor.requests.length).toBeGreaterThan(250);
  });

  it("a slow upstream does not hold up requests to another service", async () => {
    const slow = await echo({
      handler: async (_req, res) => {
        await new Promise((r) => setTimeout(r, 1000));
        res.end("slow");
        return true;
      },
    });
    const fast = await echo();
    const gw = await gateway({
      _format_version: "3.0",
      services: [
        { name: "slow", url: slow.url, routes: [{ paths: ["/slow"] }] },
        { name: "fast", url: fast.url, routes: [{ paths: ["/fast"] }] },
      ],
    });
    const slowOnes = Array.from({ length: 20 }, () => rawRequest(gw.proxyUrl, "/slow"));
    const t0 = Date.now();
    const quick = await Promise.all(Array.from({ length: 20 }, () => rawRequest(gw.proxyUrl, "/fast")));
    expect(Date.now() - t0).toBeLessThan(800);
    expect(quick.every((r) => r.status === 200)).toBe(true);
    expect((await Promise.all(slowOnes)).every((r) => r.status === 200)).toBe(true);
  });

  it("an upstream that dies mid-response cuts the client connection instead of hanging", async () => {
    const dying = createHttpServer((_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("partial");
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((r) => dying.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => dying.close(r)));
    const gw = await gateway(serviceDoc(`http://127.0.0.1:${(dying.address() as AddressInfo).port}`));
    await expect(rawRequest(gw.proxyUrl, "/")).rejects.toThrow();
    await expect(rawRequest(gw.proxyUrl, "/again")).rejects.toThrow();
  });
});

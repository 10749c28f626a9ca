/**
 * Failover when a replica stops: a stopped container's port refuses connections (or, when
 * its address stops answering at all, connects hang). Every connection failure counts as a
 * passive tcp failure (or timeout) and the request moves to the next target at once (or
 * after connect_timeout); with Kong's passive thresholds at 1 the dead address is ejected
 * after its first failure and the Admin API reports it UNHEALTHY.
 *
 * The hanging connect is made on loopback (no traffic leaves the machine): a listener with a
 * backlog of 0 whose single queue slot is taken and which never accepts — the kernel then
 * drops further SYNs, exactly what a vanished address looks like to the connecting side.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import {
  type EchoUpstream,
  rawRequest,
  startEchoUpstream,
  testGatewaysClosedBy,
  until,
} from "../../support/gateway.js";

const cleanups = cleanupsAfterEach();

const gateway = testGatewaysClosedBy(cleanups);

async function echo(text: string): Promise<EchoUpstream> {
  const up = await startEchoUpstream({
    handler: (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(text);
      return true;
    },
  });
  cleanups.push(() => up.close());
  return up;
}

/** A loopback port whose connects hang (see the file comment). */
async function blackholePort(): Promise<number> {
  const py: ChildProcess = spawn(
    "/usr/bin/python3",
    [
      "-c",
      "import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\n" +
        "print(s.getsockname()[1],flush=True)\nsys.stdin.read()",
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  cleanups.push(() => py.kill());
  const port = await new Promise<number>((resolve, reject) => {
    py.stdout!.once("data", (d: Buffer) => resolve(Number(String(d).trim())));
    py.once("error", reject);
  });
  // take the queue slot(s): from here on the kernel drops new SYNs
  const held: Socket[] = [];
  cleanups.push(() => {
    for (const s of held) s.destroy();
  });
  for (;;) {
    const outcome = await new Promise<"connected" | "hangs">((resolve) => {
      const s = connect(port, "127.0.0.1");
      held.push(s);
      s.on("error", () => undefined);
      const timer = setTimeout(() => resolve("hangs"), 300);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve("connected");
      });
    });
    if (outcome === "hangs") return port;
    if (held.length > 8) throw new Error("the listener keeps accepting: no blackhole");
  }
}

interface HealthReport {
  data: Array<{
    target: string;
    health: string;
    data: { addresses: Array<{ port: number; health: string }> };
  }>;
}

async function health(gw: Gateway, upstream: string): Promise<Record<string, string>> {
  const res = await fetch(`${gw.adminUrl}/upstreams/${upstream}/health`);
  const body = (await res.json()) as HealthReport;
  return Object.fromEntries(body.data.map((t) => [t.target, t.health]));
}

/** Kong's passive health checks with every failure threshold at one. */
const EJECT_ON_FIRST_FAILURE = {
  passive: { unhealthy: { tcp_failures: 1, timeouts: 1, http_failures: 0 }, healthy: { successes: 1 } },
};

describe("failover to the surviving replica", () => {
  it("a replica that stops: requests of every method go to the survivor, the dead one is ejected", async () => {
    const survivor = await echo("survivor");
    const victim = await echo("victim");
    const gw = await gateway({
      _format_version: "3.0",
      services: [{ name: "app", host: "app.upstream", retries: 5, routes: [{ paths: ["/"] }] }],
      upstreams: [
        {
          name: "app.upstream",
          healthchecks: EJECT_ON_FIRST_FAILURE,
          targets: [{ target: `127.0.0.1:${victim.port}` }, { target: `127.0.0.1:${survivor.port}` }],
        },
      ],
    });
    // both replicas serve (pooled keep-alive connections to each)
    const before = new Set<string>();
    for (let i = 0; i < 4; i++) before.add((await rawRequest(gw.proxyUrl, "/")).body);
    expect(before).toEqual(new Set(["victim", "survivor"]));

    await victim.close(); // the container stops: its port refuses from now on
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) {
      const method = ["GET", "POST", "PUT", "DELETE"][i % 4]!;
      const res = await rawRequest(gw.proxyUrl, `/n${i}`, {
        method,
        body: method === "POST" || method === "PUT" ? "x" : undefined,
      });
      expect(res.status).toBe(200);
      expect(res.body).toBe("survivor");
    }
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(await health(gw, "app.upstream")).toEqual({
      [`127.0.0.1:${victim.port}`]: "UNHEALTHY",
      [`127.0.0.1:${survivor.port}`]: "HEALTHY",
    });
  });

  it("a target whose connects hang: the request moves on after connect_timeout; POST too", async () => {
    const hole = await blackholePort();
    const good = await echo("good");
    const gw = await gateway({
      _format_version: "3.0",
      services: [
        {
          name: "app",
          host: "app.upstream",
          connect_timeout: 300,
          retries: 2,
          routes: [{ paths: ["/"] }],
        },
      ],
      upstreams: [
        {
          name: "app.upstream",
          healthchecks: EJECT_ON_FIRST_FAILURE,
          targets: [{ target: `127.0.0.1:${hole}` }, { target: `127.0.0.1:${good.port}` }],
        },
      ],
    });
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      const res = await rawRequest(gw.proxyUrl, "/", {
        method: i % 2 ? "POST" : "GET",
        body: i % 2 ? "payload" : undefined,
      });
      times.push(performance.now() - t0);
      expect(res.status).toBe(200);
      expect(res.body).toBe("good");
    }
    // at most one request paid the connect timeout (then the hole was ejected); none waited longer
    expect(Math.max(...times)).toBeLessThan(1200);
    expect(times.filter((t) => t >= 250).length).toBeLessThanOrEqual(1);
    expect(good.requests.filter((r) => r.method === "POST").every((r) => r.body === "payload")).toBe(true);
    expect(await health(gw, "app.upstream")).toMatchObject({ [`127.0.0.1:${hole}`]: "UNHEALTHY" });
  });

  it("without passive checks every request still succeeds: the hanging target is retried past", async () => {
    const hole = await blackholePort();
    const good = await echo("good");
    const gw = await gateway({
      _format_version: "3.0",
      services: [{ name: "app", host: "pool", connect_timeout: 200, retries: 1, routes: [{ paths: ["/"] }] }],
      upstreams: [
        { name: "pool", targets: [{ target: `127.0.0.1:${hole}` }, { target: `127.0.0.1:${good.port}` }] },
      ],
    });
    const results = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const t0 = performance.now();
        const res = await rawRequest(gw.proxyUrl, "/", { method: "POST", body: "p" });
        return { status: res.status, ms: performance.now() - t0 };
      }),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(1000);
  });

  it("active checks mark a stopped replica UNHEALTHY without any traffic", async () => {
    const survivor = await echo("survivor");
    const victim = await echo("victim");
    const gw = await gateway({
      _format_version: "3.0",
      services: [{ name: "app", host: "app.upstream", routes: [{ paths: ["/"] }] }],
      upstreams: [
        {
          name: "app.upstream",
          healthchecks: {
            active: {
              http_path: "/health",
              timeout: 0.3,
              healthy: { interval: 0.1, successes: 1 },
              unhealthy: { interval: 0.1, tcp_failures: 1, timeouts: 1, http_failures: 1 },
            },
          },
          targets: [{ target: `127.0.0.1:${victim.port}` }, { target: `127.0.0.1:${survivor.port}` }],
        },
      ],
    });
    await victim.close();
    await until(
      async () => (await health(gw, "app.upstream"))[`127.0.0.1:${victim.port}`] === "UNHEALTHY",
      3000,
    );
    expect((await health(gw, "app.upstream"))[`127.0.0.1:${survivor.port}`]).toBe("HEALTHY");
    for (let i = 0; i < 4; i++) expect((await rawRequest(gw.proxyUrl, "/")).body).toBe("survivor");
  });

  it("a connection that fails before the request was sent (TLS handshake reset) is retried for POST too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-failover-tls-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"].concat([
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ]),
      { stdio: "ignore" },
    );
    const tls = createHttpsServer(
      { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
      (req, res) => {
        req.resume();
        req.on("end", () => res.end("tls ok"));
      },
    );
    await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => tls.close(r)));
    // accepts TCP, then resets before the TLS handshake completes
    const resetting = createNetServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((r) => resetting.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => resetting.close(r)));
    const gw = await gateway({
      _format_version: "3.0",
      services: [
        { name: "app", host: "pool", protocol: "https", port: 443, retries: 2, routes: [{ paths: ["/"] }] },
      ],
      upstreams: [
        {
          name: "pool",
          targets: [
            { target: `127.0.0.1:${(resetting.address() as AddressInfo).port}` },
            { target: `127.0.0.1:${(tls.address() as AddressInfo).port}` },
          ],
        },
      ],
    });
    for (let i = 0; i < 4; i++) {
      const res = await rawRequest(gw.proxyUrl, "/", { method: "POST", body: "data" });
      expect(res.status).toBe(200);
      expect(res.body).toBe("tls ok");
    }
  });
});

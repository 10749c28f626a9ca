/**
 * Request bodies that trickle end (nginx's client_body_timeout and a minimum rate): 408 and
 * the connection closed, the upstream exchange cancelled. A body held back by a slow upstream
 * (backpressure) is not the client's fault and is not cut.
 */
import { createServer, type IncomingMessage } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { describe, expect, it } from "vitest";
import type { Gateway, GatewayOptions } from "../../../src/gateway/server.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";

const cleanups = cleanupsAfterEach();

async function gatewayTo(url: string, opts: Partial<GatewayOptions>): Promise<Gateway> {
  const gw = await startTestGateway(
    { _format_version: "3.0", services: [{ name: "svc", url, routes: [{ paths: ["/"] }] }] },
    opts,
  );
  cleanups.push(() => gw.close());
  return gw;
}

async function echo(): Promise<EchoUpstream> {
  const upstream = await startEchoUpstream();
  cleanups.push(() => upstream.close());
  return upstream;
}

interface Trickle {
  response: string;
  closedAfterMs: number;
  bytesSent: number;
}

/** Send a POST head announcing `length` bytes, then one body byte every `everyMs` (until closed or `maxBytes`). */
function trickle(gw: Gateway, length: number, everyMs: number, maxBytes = length): Promise<Trickle> {
  const u = new URL(gw.proxyUrl);
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    let bytesSent = 0;
    let out = "";
    const socket = connect(Number(u.port), u.hostname, () => {
      socket.write(
        `POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${length}\r\n\r\n`,
      );
      timer = setInterval(() => {
        if (bytesSent >= maxBytes || socket.destroyed) return;
        socket.write("a");
        bytesSent++;
      }, everyMs);
    });
    let timer: NodeJS.Timeout | null = null;
    const guard = setTimeout(() => socket.destroy(new Error(`not closed after 70 s; got: ${out}`)), 70_000);
    socket.on("data", (c) => {
      out += c.toString("latin1");
    });
    socket.on("error", (err) => {
      if (!out) reject(err);
    });
    socket.on("close", () => {
      if (timer !== null) clearInterval(timer);
      clearTimeout(guard);
      resolve({ response: out, closedAfterMs: Date.now() - t0, bytesSent });
    });
  });
}

describe("client body limits", () => {
  it("with the defaults, a 1 byte/s body is answered 408 and closed within 60 s", async () => {
    const upstream = await echo();
    const gw = await gatewayTo(upstream.url, {});
    const r = await trickle(gw, 1000, 1000);
    expect(r.response).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.response).toMatch(/connection: close/i);
    expect(r.response).toContain('"message":"Request timeout"');
    expect(r.closedAfterMs).toBeLessThan(60_000);
    // the minimum rate (240 B/s after a 5 s grace) is what ends it, well before the idle timeout
    expect(r.closedAfterMs).toBeLessThan(15_000);
    expect(upstream.requests.some((q) => q.path === "/upload")).toBe(false);
  }, 75_000);

  it("client_body_timeout: a body that stops sending is answered 408 after the timeout", async () => {
    const upstream = await echo();
    const gw = await gatewayTo(upstream.url, { clientBodyTimeoutMs: 400, clientBodyMinRate: 0 });
    const r = await trickle(gw, 100, 10, 20);
    expect(r.bytesSent).toBe(20);
    expect(r.response).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(400);
    expect(r.closedAfterMs).toBeLessThan(3_000);
  });

  it("a body that keeps making progress is not cut by the idle timeout", async () => {
    const upstream = await echo();
    const gw = await gatewayTo(upstream.url, { clientBodyTimeoutMs: 300, clientBodyMinRate: 0 });
    // 12 bytes, one every 100 ms: 1.2 s in all, never 300 ms without a byte
    const r = await trickle(gw, 12, 100);
    expect(r.response).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("the minimum rate counts after the grace period only", async () => {
    const upstream = await echo();
    const gw = await gatewayTo(upstream.url, {
      clientBodyTimeoutMs: 0,
      clientBodyMinRate: 1000,
      clientBodyGraceMs: 300,
    });
    // 100 bytes/s: below 1000 B/s once the 300 ms grace is over
    const slow = await trickle(gw, 1000, 10);
    expect(slow.response).toMatch(/^HTTP\/1\.1 408 /);
    expect(slow.closedAfterMs).toBeLessThan(3_000);
    // a short body done within the grace period is served however slowly it came
    const quick = await trickle(gw, 5, 40);
    expect(quick.response).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("a body the upstream is slow to read (backpressure) is not blamed on the client", async () => {
    let received = 0;
    const slowReader = createServer((req: IncomingMessage, res) => {
      // read nothing for 1.5 s: the gateway's writes stall, then the client's
      req.pause();
      setTimeout(() => {
        req.on("data", (c: Buffer) => {
          received += c.length;
        });
        req.on("end", () => res.end(`got ${received}`));
        req.resume();
      }, 1500);
    });
    await new Promise<void>((r) => slowReader.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise<void>((r) => slowReader.close(() => r())));
    const port = (slowReader.address() as AddressInfo).port;
    const gw = await gatewayTo(`http://127.0.0.1:${port}`, {
      clientBodyTimeoutMs: 300,
      clientBodyMinRate: 1024 * 1024,
      clientBodyGraceMs: 300,
    });
    const size = 16 * 1024 * 1024;
    const res = await fetch(`${gw.proxyUrl}/upload`, { method: "POST", body: Buffer.alloc(size, 7) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`got ${size}`);
  });
});

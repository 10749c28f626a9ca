/**
 * Bodies stream both ways with backpressure (nothing buffered without a plugin asking),
 * client aborts cancel the upstream request, WebSocket upgrades are tunnelled.
 */
import { createHash } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { startTestGateway } from "../../support/gateway.js";

const cleanups = cleanupsAfterEach();

async function listen(server: ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function gatewayTo(port: number, extra: Record<string, unknown> = {}) {
  const gw = await startTestGateway({
    _format_version: "3.0",
    services: [{ name: "svc", url: `http://127.0.0.1:${port}`, ...extra, routes: [{ paths: ["/"] }] }],
  });
  cleanups.push(() => gw.close());
  return gw;
}

/** A deterministic byte stream of `size` bytes produced lazily. */
function generated(size: number, chunk = 64 * 1024): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, size - sent);
      const buf = Buffer.alloc(n, sent % 251);
      sent += n;
      this.push(buf);
    },
  });
}

describe("streaming", () => {
  it("a large upload streams through and the upstream sees every byte", async () => {
    const size = 32 * 1024 * 1024;
    const upstream = createServer((req, res) => {
      const hash = createHash("sha256");
      let n = 0;
      req.on("data", (c: Buffer) => {
        n += c.length;
        hash.update(c);
      });
      req.on("end", () => res.end(JSON.stringify({ n, sha: hash.digest("hex") })));
    });
    const gw = await gatewayTo(await listen(upstream));
    const expected = createHash("sha256");
    for await (const c of generated(size)) expected.update(c as Buffer);
    const u = new URL(gw.proxyUrl);
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        { host: u.hostname, port: u.port, method: "POST", path: "/upload", agent: false },
        (res) => {
          let text = "";
          res.on("data", (c) => {
            text += c;
          });
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      generated(size).pipe(req);
    });
    expect(JSON.parse(body)).toEqual({ n: size, sha: expected.digest("hex") });
  });

  it("a large download is paced by the client (backpressure), not buffered in the gateway", async () => {
    const size = 128 * 1024 * 1024;
    let produced = 0;
    const upstream = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(size) });
      const src = generated(size);
      src.on("data", (c: Buffer) => {
        produced += c.length;
      });
      src.pipe(res);
    });
    const gw = await gatewayTo(await listen(upstream));
    const u = new URL(gw.proxyUrl);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest({ host: u.hostname, port: u.port, path: "/big", agent: false }, resolve);
      req.on("error", reject);
      req.end();
    });
    res.pause();
    // the client reads nothing for a while: the upstream must stall far below the size
    await new Promise((r) => setTimeout(r, 400));
    const stalledAt = produced;
    expect(stalledAt).toBeLessThan(32 * 1024 * 1024);
    await new Promise((r) => setTimeout(r, 300));
    expect(produced - stalledAt).toBeLessThan(2 * 1024 * 1024);
    // then it drains everything
    let received = 0;
    res.on("data", (c: Buffer) => {
      received += c.length;
    });
    res.resume();
    await new Promise((r) => res.on("end", r));
    expect(received).toBe(size);
  });

  it("a client that goes away cancels the upstream request", async () => {
    let upstreamClosed: (() => void) | null = null;
    const closed = new Promise<void>((r) => {
      upstreamClosed = r;
    });
    const upstream = createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first chunk\n");
      req.socket.on("close", () => upstreamClosed?.());
      // never ends on its own
    });
    const gw = await gatewayTo(await listen(upstream));
    const u = new URL(gw.proxyUrl);
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: u.hostname, port: u.port, path: "/stream", agent: false }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => undefined);
      req.on("close", () => resolve());
      req.end();
      setTimeout(() => reject(new Error("no first chunk")), 3000);
    });
    await expect(
      Promise.race([
        closed,
        new Promise((_, j) => setTimeout(() => j(new Error("upstream still open")), 3000)),
      ]),
    ).resolves.toBeUndefined();
  });

  it("a client that goes away before the upstream answered cancels it too", async () => {
    let closedCount = 0;
    const upstream = createServer((req) => {
      req.socket.on("close", () => {
        closedCount++;
      });
    });
    const gw = await gatewayTo(await listen(upstream), { read_timeout: 60_000 });
    const ac = new AbortController();
    const pending = fetch(`${gw.proxyUrl}/hang`, { signal: ac.signal }).catch(() => "aborted");
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    expect(await pending).toBe("aborted");
    await new Promise((r) => setTimeout(r, 300));
    expect(closedCount).toBe(1);
  });
});

describe("Expect: 100-continue", () => {
  it("the client gets its 100 Continue from the gateway and the body reaches the upstream", async () => {
    const seen: Array<{ expect: unknown; length: number }> = [];
    const upstream = createServer((req, res) => {
      let n = 0;
      req.on("data", (c: Buffer) => {
        n += c.length;
      });
      req.on("end", () => {
        seen.push({ expect: req.headers.expect, length: n });
        res.end("stored");
      });
    });
    const gw = await gatewayTo(await listen(upstream));
    const u = new URL(gw.proxyUrl);
    const res = await new Promise<{ status: number; body: string; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = httpRequest(
        {
          host: u.hostname,
          port: u.port,
          method: "POST",
          path: "/upload",
          agent: false,
          headers: { expect: "100-continue", "content-length": "5000" },
        },
        (r) => {
          let body = "";
          r.on("data", (c) => {
            body += c;
          });
          r.on("end", () => resolve({ status: r.statusCode ?? 0, body, continued }));
        },
      );
      req.on("continue", () => {
        continued = true;
        req.end("x".repeat(5000));
      });
      req.on("error", reject);
    });
    expect(res).toEqual({ status: 200, body: "stored", continued: true });
    expect(seen).toEqual([{ expect: undefined, length: 5000 }]);
  });
});

describe("websockets", () => {
  it("upgrades are tunnelled both ways with the gateway headers on the 101", async () => {
    const upstream = createServer();
    const wss = new WebSocketServer({ server: upstream });
    const seenHeaders: Record<string, unknown>[] = [];
    wss.on("connection", (ws, req) => {
      seenHeaders.push(req.headers);
      ws.on("message", (data) => ws.send(`echo:${data.toString()}`));
    });
    cleanups.push(() => new Promise((r) => wss.close(() => r(undefined))));
    const gw = await gatewayTo(await listen(upstream));
    const ws = new WebSocket(`${gw.proxyUrl.replace("http", "ws")}/chat?room=1`);
    const upgrade = new Promise<IncomingMessage>((r) => ws.once("upgrade", r));
    await new Promise((r, j) => {
      ws.once("open", r);
      ws.once("error", j);
    });
    const head = await upgrade;
    expect(head.headers.via).toMatch(/gatestack/);
    expect(head.headers["x-kong-upstream-latency"]).toMatch(/^\d+$/);
    const replies: string[] = [];
    ws.on("message", (d) => replies.push(d.toString()));
    for (const m of ["one", "two", "three"]) ws.send(m);
    await new Promise((r) => setTimeout(r, 200));
    expect(replies).toEqual(["echo:one", "echo:two", "echo:three"]);
    expect(seenHeaders[0]?.["x-forwarded-for"]).toBe("127.0.0.1");
    ws.close();
    await new Promise((r) => ws.once("close", r));
  });

  it("an upstream refusing the upgrade answers the client with its own status", async () => {
    const upstream = createServer((_req, res) => {
      res.writeHead(403, { "content-type": "text/plain" });
      res.end("no sockets for you");
    });
    const gw = await gatewayTo(await listen(upstream));
    const ws = new WebSocket(`${gw.proxyUrl.replace("http", "ws")}/chat`);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      ws.once("unexpected-response", (_req, r) => resolve(r));
      ws.once("open", () => reject(new Error("should not open")));
      ws.once("error", () => undefined);
    });
    expect(res.statusCode).toBe(403);
    ws.terminate();
  });

  it("an upgrade with no route gets Kong's 404", async () => {
    const gw = await startTestGateway({ _format_version: "3.0" });
    cleanups.push(() => gw.close());
    const ws = new WebSocket(`${gw.proxyUrl.replace("http", "ws")}/x`);
    const res = await new Promise<IncomingMessage>((resolve) => {
      ws.once("unexpected-response", (_req, r) => resolve(r));
      ws.once("error", () => undefined);
    });
    expect(res.statusCode).toBe(404);
    ws.terminate();
  });
});

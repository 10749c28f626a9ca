/**
 * Malformed client requests never reach an upstream and get nginx/Kong-style answers:
 * Content-Length with Transfer-Encoding → 400, oversized headers → 431, slow headers →
 * 408 after client_header_timeout, a bad request line → 400.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";

let upstream: EchoUpstream;
let gw: Gateway;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  gw = await startTestGateway(
    { _format_version: "3.0", services: [{ name: "echo", url: upstream.url, routes: [{ paths: ["/"] }] }] },
    { clientHeaderTimeoutMs: 300 },
  );
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

/** Send raw bytes (optionally in timed pieces); resolve with everything read until close. */
function raw(pieces: string[], gapMs = 0): Promise<string> {
  const u = new URL(gw.proxyUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    let out = "";
    socket.on("data", (c) => {
      out += c.toString("latin1");
    });
    socket.on("close", () => resolve(out));
    socket.on("error", reject);
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`no close; got: ${out}`));
    });
    void (async () => {
      for (const p of pieces) {
        if (socket.destroyed) return;
        socket.write(p);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    })();
  });
}

function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
}

describe("malformed requests", () => {
  it("Content-Length together with Transfer-Encoding → 400", async () => {
    const before = upstream.requests.length;
    const res = await raw([
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ]);
    expect(statusOf(res)).toBe(400);
    expect(res).toMatch(/Bad request\nrequest_id: [0-9a-f]{32}\n$/);
    expect(upstream.requests.length).toBe(before);
  });

  it("oversized headers → 431", async () => {
    const res = await raw([`GET / HTTP/1.1\r\nHost: x\r\nX-Large: ${"a".repeat(20 * 1024)}\r\n\r\n`]);
    expect(statusOf(res)).toBe(431);
  });

  it("headers that arrive too slowly → 408 after client_header_timeout", async () => {
    const t0 = Date.now();
    const res = await raw(
      ["GET / HTTP/1.1\r\n", "Host: x\r\n", "X-Slow: 1\r\n", "X-Slow: 2\r\n", "X-Slow: 3\r\n"],
      200,
    );
    expect(statusOf(res)).toBe(408);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it("a bad request line → 400", async () => {
    expect(statusOf(await raw(["THIS IS NOT HTTP\r\n\r\n"]))).toBe(400);
    expect(statusOf(await raw(["GET / HTTP/1.1\r\nBad Header Name: x\r\n\r\n"]))).toBe(400);
  });

  it("a well-formed request on the same listener still works", async () => {
    const res = await raw(["GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
    expect(statusOf(res)).toBe(200);
  });
});

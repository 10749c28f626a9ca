/**
 * Protocol strictness on raw sockets (RFC 9112 / RFC 9110): only HTTP/1.0 and HTTP/1.1 are
 * served (HTTP/0.9 → 400, other versions → 505, nothing reaches an upstream); an absolute-form
 * target is routed by its own authority, not the Host header; only `Upgrade: websocket` is
 * tunnelled — any other upgrade is proxied as plain HTTP through the router and plugins.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";

let upstream: EchoUpstream;
let gw: Gateway;

beforeAll(async () => {
  upstream = await startEchoUpstream({
    handler: (req, res) => {
      // an upstream that would gladly switch to whatever it is asked for
      if (req.headers.upgrade !== undefined) {
        res.writeHead(101, { Connection: "Upgrade", Upgrade: String(req.headers.upgrade) });
        res.end();
        return true;
      }
      return false;
    },
  });
  gw = await startTestGateway({
    _format_version: "3.0",
    services: [
      {
        name: "echo",
        url: upstream.url,
        routes: [
          { name: "a", hosts: ["a.example"], paths: ["/"], preserve_host: true },
          { name: "b", hosts: ["b.example"], paths: ["/"], strip_path: false },
          {
            name: "locked",
            hosts: ["locked.example"],
            paths: ["/"],
            plugins: [{ name: "key-auth" }],
          },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

/** Write raw bytes; resolve with everything read until the server closes (or `idleMs` of silence). */
function exchange(bytes: string, idleMs = 400): Promise<string> {
  const u = new URL(gw.proxyUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => socket.write(bytes));
    let out = "";
    let idle: NodeJS.Timeout | null = null;
    const settle = () => {
      if (idle !== null) clearTimeout(idle);
      idle = setTimeout(() => socket.destroy(), idleMs);
    };
    socket.on("data", (c) => {
      out += c.toString("latin1");
      settle();
    });
    socket.on("close", () => {
      if (idle !== null) clearTimeout(idle);
      resolve(out);
    });
    socket.on("error", reject);
    settle();
  });
}

function statuses(response: string): number[] {
  // a pipelined answer's status line follows the previous body directly
  return [...response.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

function echoed(response: string): { path: string; headers: Record<string, string>; body: string } {
  const start = response.indexOf("\r\n\r\n");
  return JSON.parse(response.slice(start + 4));
}

describe("HTTP versions", () => {
  it("HTTP/0.9, with or without a version token, is a bad request and reaches no upstream", async () => {
    const before = upstream.requests.length;
    for (const line of ["GET /\r\n\r\n", "GET / HTTP/0.9\r\nHost: a.example\r\n\r\n"]) {
      const res = await exchange(line);
      expect(statuses(res)).toEqual([400]);
      expect(res).toMatch(/connection: close/i);
    }
    expect(upstream.requests.length).toBe(before);
  });

  it("any version other than 1.0 and 1.1 in a text request line is 505", async () => {
    const before = upstream.requests.length;
    for (const version of ["2.0", "3.0", "1.2", "4.0"]) {
      const res = await exchange(`GET / HTTP/${version}\r\nHost: a.example\r\n\r\n`);
      expect(statuses(res), version).toEqual([505]);
    }
    expect(upstream.requests.length).toBe(before);
  });

  it("HTTP/1.0 and HTTP/1.1 are served", async () => {
    expect(statuses(await exchange("GET / HTTP/1.0\r\nHost: a.example\r\n\r\n"))).toEqual([200]);
    expect(
      statuses(await exchange("GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n")),
    ).toEqual([200]);
  });

  it("a malformed version token is a bad request, not 505", async () => {
    expect(statuses(await exchange("GET / HTTP/x.1\r\nHost: a.example\r\n\r\n"))).toEqual([400]);
  });
});

describe("absolute-form targets", () => {
  it("are routed by their own authority; the Host header is ignored", async () => {
    const res = await exchange(
      "GET http://a.example/x?q=1 HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n",
    );
    expect(statuses(res)).toEqual([200]);
    const seen = echoed(res);
    expect(seen.path).toBe("/x");
    // route a preserves the host: the target's authority, not the Host header sent
    expect(seen.headers.host).toBe("a.example");
    expect(seen.headers["x-forwarded-host"]).toBe("a.example");
  });

  it("an authority no route knows is 404 even when Host names a route", async () => {
    const res = await exchange(
      "GET http://nowhere.example/ HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n",
    );
    expect(statuses(res)).toEqual([404]);
  });

  it("a target that is not an http(s) URI is a bad request", async () => {
    const before = upstream.requests.length;
    const res = await exchange("GET ftp://a.example/f HTTP/1.1\r\nHost: a.example\r\n\r\n");
    expect(statuses(res)).toEqual([400]);
    expect(upstream.requests.length).toBe(before);
  });
});

describe("upgrades", () => {
  const h2c = (host: string, extra = "") =>
    `POST /up HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n` +
    `HTTP2-Settings: AAMAAABkAAQAAP__\r\nContent-Length: 5\r\n${extra}\r\nhello`;

  it("a non-websocket upgrade is proxied as plain HTTP: no Upgrade upstream, body intact, no tunnel", async () => {
    const res = await exchange(h2c("b.example"));
    expect(statuses(res)).toEqual([200]);
    const seen = echoed(res);
    expect(seen.headers.upgrade).toBeUndefined();
    expect(seen.headers["http2-settings"]).toBeUndefined();
    expect(seen.body).toBe("hello");
  });

  it("the connection stays HTTP/1.1: the next request on it is answered too", async () => {
    const res = await exchange(
      `${h2c("b.example")}GET /second HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n`,
    );
    expect(statuses(res)).toEqual([200, 200]);
    expect(res).toContain('"path":"/second"');
  });

  it("goes through the router and the route's plugins", async () => {
    expect(statuses(await exchange(h2c("locked.example", "Connection: close\r\n")))).toEqual([401]);
    expect(statuses(await exchange(h2c("unknown.example")))).toEqual([404]);
  });

  it("only the exact token websocket is tunnelled", async () => {
    const res = await exchange(
      "GET /ws HTTP/1.1\r\nHost: b.example\r\nConnection: Upgrade\r\nUpgrade: websocket, h2c\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    expect(statuses(res)).toEqual([200]);
    expect(echoed(res).headers.upgrade).toBeUndefined();
  });

  it("an upgrade connection is counted once", async () => {
    const before = gw.runtime.serverStats().connectionsAccepted;
    await exchange(h2c("b.example"));
    expect(gw.runtime.serverStats().connectionsAccepted).toBe(before + 1);
  });
});

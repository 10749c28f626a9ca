/**
 * Headers the gateway sends upstream and back (Kong's spec/02-integration/05-proxy/
 * 03-upstream_headers_spec.lua and 35-via_spec.lua, re-expressed).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VIA_ELEMENT } from "../../../src/gateway/proxy/constants.js";
import type { Gateway, GatewayOptions } from "../../../src/gateway/server.js";
import {
  type CapturedRequest,
  type EchoUpstream,
  rawRequest,
  startEchoUpstream,
  startTestGateway,
} from "../../support/gateway.js";

let upstream: EchoUpstream;
const gateways: Gateway[] = [];

function config(url: string) {
  return {
    _format_version: "3.0",
    services: [
      { name: "inspect", url, routes: [{ name: "inspect", hosts: ["headers-inspect.com"] }] },
      {
        name: "preserved",
        url,
        routes: [{ name: "preserved", hosts: ["preserved.com"], preserve_host: true }],
      },
      { name: "foo", url, routes: [{ name: "foo", paths: ["/foo"], strip_path: true }] },
      { name: "status", url, routes: [{ name: "status", paths: ["/status/200"], strip_path: false }] },
      { name: "root", url, routes: [{ name: "root", paths: ["/"], strip_path: true }] },
      {
        name: "hosted",
        host: "hosted-upstream",
        routes: [{ name: "hosted", hosts: ["upstream-host.test"] }],
      },
    ],
    upstreams: [
      {
        name: "hosted-upstream",
        host_header: "custom-host.example",
        targets: [{ target: new URL(url).host }],
      },
    ],
  };
}

async function gateway(trustedIps?: string[], extra: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const gw = await startTestGateway(config(upstream.url), {
    ...(trustedIps ? { trustedIps } : {}),
    ...extra,
  });
  gateways.push(gw);
  return gw;
}

async function sent(
  gw: Gateway,
  headers: Record<string, string>,
  path = "/",
): Promise<CapturedRequest["headers"]> {
  const res = await rawRequest(gw.proxyUrl, path, { headers });
  expect(res.status).toBe(200);
  return (res.json as CapturedRequest).headers;
}

let plain: Gateway;
let trusted: Gateway;
let untrusted: Gateway;
/** trusted peer, real_ip_header X-Forwarded-For, real_ip_recursive on (what `stack render` sets) */
let forwarded: Gateway;

beforeAll(async () => {
  upstream = await startEchoUpstream({
    handler: (req, res) => {
      if (req.url === "/hop-by-hop") {
        res.writeHead(200, {
          "Keep-Alive": "timeout=5",
          "Proxy-Authenticate": "Basic",
          Trailer: "Expires",
          Upgrade: "example/1",
          Connection: "X-Custom-Hop",
          "X-Custom-Hop": "remove-me",
          "X-End-To-End": "keep-me",
          "Content-Type": "text/plain",
        });
        res.write("chunk-1 ");
        res.end("chunk-2");
        return true;
      }
      if (req.url === "/via") {
        res.writeHead(200, { Via: "HTTP/1.1 http_mock", "Content-Type": "application/json" });
        res.end(JSON.stringify({ via: req.headers.via }));
        return true;
      }
      return false;
    },
  });
  [plain, trusted, untrusted, forwarded] = await Promise.all([
    gateway(),
    gateway(["127.0.0.1"]),
    gateway(["10.0.0.1"]),
    gateway(["127.0.0.1", "172.16.0.0/12"], { realIpHeader: "X-Forwarded-For", realIpRecursive: true }),
  ]);
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await upstream.close();
});

describe("hop-by-hop headers", () => {
  it("are removed from the request, with every field Connection names; TE: trailers is kept", async () => {
    const h = await sent(plain, {
      Connection: "X-Foo, X-Bar",
      Host: "headers-inspect.com",
      "Keep-Alive": "timeout=5, max=1000",
      Proxy: "Remove-Me",
      "Proxy-Connection": "close",
      "Proxy-Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
      TE: "trailers, deflate;q=0.5",
      Upgrade: "example/1, foo/2",
      "X-Foo": "Remove-Me",
      "X-Bar": "Remove-Me",
      "X-Foo-Bar": "Keep-Me",
      Close: "Keep-Me",
    });
    expect(h["keep-alive"]).toBeUndefined();
    expect(h.proxy).toBeUndefined();
    expect(h["proxy-connection"]).toBeUndefined();
    expect(h["proxy-authorization"]).toBeUndefined();
    expect(h.upgrade).toBeUndefined();
    expect(h["x-foo"]).toBeUndefined();
    expect(h["x-bar"]).toBeUndefined();
    expect(h.te).toBe("trailers");
    expect(h["x-foo-bar"]).toBe("Keep-Me");
    expect(h.close).toBe("Keep-Me");
  });

  it("are removed from the response, with every field Connection names", async () => {
    const res = await rawRequest(plain.proxyUrl, "/hop-by-hop", { headers: { Host: "headers-inspect.com" } });
    expect(res.status).toBe(200);
    expect(res.body).toBe("chunk-1 chunk-2");
    expect(res.headers["keep-alive"]).not.toBe("timeout=5");
    expect(res.headers["proxy-authenticate"]).toBeUndefined();
    expect(res.headers.trailer).toBeUndefined();
    expect(res.headers.upgrade).toBeUndefined();
    expect(res.headers["x-custom-hop"]).toBeUndefined();
    expect(res.headers["x-end-to-end"]).toBe("keep-me");
    expect(res.headers["transfer-encoding"]).toBe("chunked");
  });
});

describe("with default settings (no trusted IPs)", () => {
  it("X-Real-IP is set and replaces an incoming value", async () => {
    expect((await sent(plain, { Host: "headers-inspect.com" }))["x-real-ip"]).toBe("127.0.0.1");
    expect((await sent(plain, { Host: "headers-inspect.com", "X-Real-IP": "10.0.0.1" }))["x-real-ip"]).toBe(
      "127.0.0.1",
    );
  });

  it("X-Forwarded-For is added, or appended to", async () => {
    expect((await sent(plain, { Host: "headers-inspect.com" }))["x-forwarded-for"]).toBe("127.0.0.1");
    expect(
      (await sent(plain, { Host: "headers-inspect.com", "X-Forwarded-For": "10.0.0.1" }))["x-forwarded-for"],
    ).toBe("10.0.0.1, 127.0.0.1");
  });

  it("X-Forwarded-Proto/Host/Port/Path are set and replace incoming values", async () => {
    const port = new URL(plain.proxyUrl).port;
    const h = await sent(plain, {
      Host: "headers-inspect.com",
      "X-Forwarded-Proto": "https",
      "X-Forwarded-Host": "example.com",
      "X-Forwarded-Port": "80",
      "X-Forwarded-Path": "/replaced",
    });
    expect(h["x-forwarded-proto"]).toBe("http");
    expect(h["x-forwarded-host"]).toBe("headers-inspect.com");
    expect(h["x-forwarded-port"]).toBe(port);
    expect(h["x-forwarded-path"]).toBe("/");
  });

  it("X-Forwarded-Prefix is the stripped prefix, replaced when present, absent otherwise", async () => {
    expect((await sent(plain, {}, "/foo/status/200"))["x-forwarded-prefix"]).toBe("/foo");
    expect((await sent(plain, { "X-Forwarded-Prefix": "/replaced" }, "/foo"))["x-forwarded-prefix"]).toBe(
      "/foo",
    );
    expect((await sent(plain, {}, "/status/200"))["x-forwarded-prefix"]).toBeUndefined();
    expect((await sent(plain, {}, "/"))["x-forwarded-prefix"]).toBeUndefined();
    expect(
      (await sent(plain, { "X-Forwarded-Prefix": "/untrusted" }, "/status/200"))["x-forwarded-prefix"],
    ).toBe(undefined);
  });

  it("Host is the target's host:port unless preserve_host", async () => {
    const discarded = await sent(plain, { Host: "headers-inspect.com" });
    expect(discarded.host).toBe(`127.0.0.1:${upstream.port}`);
    expect(discarded["x-forwarded-host"]).toBe("headers-inspect.com");
    const preserved = await sent(plain, { Host: "preserved.com" });
    expect(preserved.host).toBe("preserved.com");
    expect(preserved["x-forwarded-host"]).toBe("preserved.com");
  });

  it("the upstream's host_header overrides the target host", async () => {
    expect((await sent(plain, { Host: "upstream-host.test" })).host).toBe("custom-host.example");
  });
});

describe("with the peer trusted", () => {
  it("incoming X-Real-IP and X-Forwarded-* are forwarded", async () => {
    const h = await sent(trusted, {
      Host: "headers-inspect.com",
      "X-Real-IP": "10.0.0.1",
      "X-Forwarded-For": "10.0.0.1",
      "X-Forwarded-Proto": "https",
      "X-Forwarded-Host": "example.com",
      "X-Forwarded-Port": "80",
      "X-Forwarded-Path": "/original-path",
    });
    expect(h["x-real-ip"]).toBe("10.0.0.1");
    expect(h["x-forwarded-for"]).toBe("10.0.0.1, 127.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("https");
    expect(h["x-forwarded-host"]).toBe("example.com");
    expect(h["x-forwarded-port"]).toBe("80");
    expect(h["x-forwarded-path"]).toBe("/original-path");
  });

  it("X-Forwarded-Prefix is preserved even when the path was stripped", async () => {
    expect(
      (await sent(trusted, { "X-Forwarded-Prefix": "/preserved" }, "/foo/status/200"))["x-forwarded-prefix"],
    ).toBe("/preserved");
  });

  it("with the default real_ip_header (X-Real-IP), X-Forwarded-For does not decide the client", async () => {
    const h = await sent(trusted, { Host: "headers-inspect.com", "X-Forwarded-For": "192.0.2.7, 127.0.0.1" });
    expect(h["x-real-ip"]).toBe("127.0.0.1");
    expect(h["x-forwarded-for"]).toBe("192.0.2.7, 127.0.0.1, 127.0.0.1");
  });

  it("without an incoming X-Forwarded-For, it is the resolved client address (Kong's remote_addr)", async () => {
    const h = await sent(trusted, { Host: "headers-inspect.com", "X-Real-IP": "10.0.0.1" });
    expect(h["x-real-ip"]).toBe("10.0.0.1");
    expect(h["x-forwarded-for"]).toBe("10.0.0.1");
  });
});

describe("with real_ip_header X-Forwarded-For and real_ip_recursive on", () => {
  it("the client is the right-most untrusted X-Forwarded-For address", async () => {
    const h = await sent(forwarded, {
      Host: "headers-inspect.com",
      "X-Forwarded-For": "203.0.113.50, 192.0.2.7, 172.16.0.3",
    });
    expect(h["x-real-ip"]).toBe("192.0.2.7");
    expect(h["x-forwarded-for"]).toBe("203.0.113.50, 192.0.2.7, 172.16.0.3, 127.0.0.1");
  });

  it("a client's X-Real-IP is replaced, never believed", async () => {
    const h = await sent(forwarded, {
      Host: "headers-inspect.com",
      "X-Real-IP": "203.0.113.9",
      "X-Forwarded-For": "192.0.2.7",
    });
    expect(h["x-real-ip"]).toBe("192.0.2.7");
    const alone = await sent(forwarded, { Host: "headers-inspect.com", "X-Real-IP": "203.0.113.9" });
    expect(alone["x-real-ip"]).toBe("127.0.0.1");
    expect(alone["x-forwarded-for"]).toBe("127.0.0.1");
  });
});

describe("with another address trusted", () => {
  it("incoming values are replaced", async () => {
    const port = new URL(untrusted.proxyUrl).port;
    const h = await sent(untrusted, {
      Host: "headers-inspect.com",
      "X-Real-IP": "10.0.0.1",
      "X-Forwarded-For": "10.0.0.1",
      "X-Forwarded-Proto": "https",
      "X-Forwarded-Host": "example.com",
      "X-Forwarded-Port": "80",
      "X-Forwarded-Path": "/untrusted",
    });
    expect(h["x-real-ip"]).toBe("127.0.0.1");
    expect(h["x-forwarded-for"]).toBe("10.0.0.1, 127.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("http");
    expect(h["x-forwarded-host"]).toBe("headers-inspect.com");
    expect(h["x-forwarded-port"]).toBe(port);
    expect(h["x-forwarded-path"]).toBe("/");
  });
});

describe("Via, latency and request id headers", () => {
  it("Via is appended in both directions", async () => {
    const res = await rawRequest(plain.proxyUrl, "/via", {
      headers: { Host: "headers-inspect.com", Via: "1.1 dev" },
    });
    expect(res.json).toEqual({ via: `1.1 dev, ${VIA_ELEMENT}` });
    expect(res.headers.via).toBe(`HTTP/1.1 http_mock, ${VIA_ELEMENT}`);
    expect(res.headers.server).toBeUndefined();
  });

  it("every response carries gateway and upstream latencies and the request id", async () => {
    const res = await rawRequest(plain.proxyUrl, "/", { headers: { Host: "headers-inspect.com" } });
    expect(Number(res.headers["x-kong-upstream-latency"])).toBeGreaterThanOrEqual(0);
    expect(Number(res.headers["x-kong-proxy-latency"])).toBeGreaterThanOrEqual(0);
    expect(res.headers["x-kong-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    const echoed = (res.json as CapturedRequest).headers;
    expect(echoed["x-kong-request-id"]).toBe(res.headers["x-kong-request-id"]);
  });

  it("an incoming X-Request-ID is forwarded unchanged and used as the request id", async () => {
    const res = await rawRequest(plain.proxyUrl, "/", {
      headers: { Host: "headers-inspect.com", "X-Request-ID": "req-abc-123" },
    });
    expect((res.json as CapturedRequest).headers["x-request-id"]).toBe("req-abc-123");
    expect(res.headers["x-kong-request-id"]).toBe("req-abc-123");
  });
});

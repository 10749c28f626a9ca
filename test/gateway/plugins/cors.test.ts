/**
 * cors through the running gateway (Kong's spec/03-plugins/13-cors/01-access_spec.lua
 * re-expressed): preflights answered by the gateway, headers on proxied responses and on
 * responses produced by other plugins, exact and regex origins, credentials.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { kongDoc, send } from "./_support.js";

let upstream: EchoUpstream;
let gw: Gateway;

const cors = (
  name: string,
  config: Record<string, unknown> = {},
  extra: Array<Record<string, unknown>> = [],
) => ({
  name,
  paths: [`/${name}`],
  plugins: [{ name: "cors", config }, ...extra],
});

const preflight = (origin: string, extra: Record<string, string> = {}) => ({
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": "GET", ...extra },
});

beforeAll(async () => {
  upstream = await startEchoUpstream({
    headers: { vary: "Accept-Encoding" },
    // ?acao: the upstream answers with its own Access-Control-Allow-Origin: *
    handler: (req, res) => {
      if (!req.url?.includes("acao")) return false;
      res.writeHead(200, { "access-control-allow-origin": "*", "content-length": "0" });
      res.end();
      return true;
    },
  });
  gw = await startTestGateway(
    kongDoc(upstream.url, [
      cors("default"),
      cors("configured", {
        origins: ["example.com", "http://example.org:8080"],
        methods: ["GET"],
        headers: ["origin", "type", "accepts"],
        exposed_headers: ["x-auth-token", "x-other"],
        max_age: 23,
        credentials: true,
      }),
      cors("regex", { origins: ["(.*[./])?example\\.org", "http://exact.test"] }),
      cors("star-credentials", { origins: ["*"], credentials: true }),
      cors("continue", { preflight_continue: true }),
      cors("private", { private_network: true }),
      cors("origin-required", { allow_origin_absent: false }),
      cors("with-auth", {}, [{ name: "key-auth" }]),
      cors("single", { origins: ["foo.test"] }),
    ]),
  );
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe("cors: preflight", () => {
  it("answers 200 with Kong's default headers without reaching the upstream", async () => {
    const before = upstream.requests.length;
    const r = await send(gw.proxyUrl, "/default", preflight("http://any.test"));
    expect(r.status).toBe(200);
    expect(r.body).toBe("");
    expect(r.headers["access-control-allow-origin"]).toBe("*");
    expect(r.headers["access-control-allow-methods"]).toBe(
      "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT",
    );
    expect(r.headers["access-control-allow-headers"]).toBeUndefined();
    expect(r.headers["access-control-max-age"]).toBeUndefined();
    expect(r.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(upstream.requests.length).toBe(before);
  });

  it("echoes Access-Control-Request-Headers when no headers are configured", async () => {
    const r = await send(
      gw.proxyUrl,
      "/default",
      preflight("http://any.test", { "access-control-request-headers": "x-foo, content-type" }),
    );
    expect(r.headers["access-control-allow-headers"]).toBe("x-foo, content-type");
  });

  it("uses the configured origins, methods, headers, max_age and credentials", async () => {
    const r = await send(gw.proxyUrl, "/configured", preflight("http://example.org:8080"));
    expect(r.status).toBe(200);
    expect(r.headers["access-control-allow-origin"]).toBe("http://example.org:8080");
    expect(r.headers["access-control-allow-methods"]).toBe("GET");
    expect(r.headers["access-control-allow-headers"]).toBe("origin,type,accepts");
    expect(r.headers["access-control-max-age"]).toBe("23");
    expect(r.headers["access-control-allow-credentials"]).toBe("true");
    expect(r.headers.vary).toBe("Origin");
    expect(r.headers["access-control-expose-headers"]).toBeUndefined();
  });

  it("leaves Access-Control-Allow-Origin out for an origin that is not allowed", async () => {
    const r = await send(gw.proxyUrl, "/configured", preflight("http://evil.test"));
    expect(r.status).toBe(200);
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
    expect(r.headers.vary).toBe("Origin");
  });

  it("proxies the preflight upstream with preflight_continue", async () => {
    const r = await send(gw.proxyUrl, "/continue", preflight("http://any.test"));
    expect(r.status).toBe(200);
    expect(r.upstream().method).toBe("OPTIONS");
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("proxies an OPTIONS request that is not a preflight", async () => {
    const r = await send(gw.proxyUrl, "/default", {
      method: "OPTIONS",
      headers: { origin: "http://a.test" },
    });
    expect(r.upstream().method).toBe("OPTIONS");
    expect(r.headers["access-control-allow-origin"]).toBe("*");
  });

  it("answers private-network preflights when enabled", async () => {
    const r = await send(
      gw.proxyUrl,
      "/private",
      preflight("http://a.test", { "access-control-request-private-network": "true" }),
    );
    expect(r.headers["access-control-allow-private-network"]).toBe("true");
    const off = await send(
      gw.proxyUrl,
      "/default",
      preflight("http://a.test", { "access-control-request-private-network": "true" }),
    );
    expect(off.headers["access-control-allow-private-network"]).toBeUndefined();
  });
});

describe("cors: actual requests", () => {
  it("adds Access-Control-Allow-Origin: * to proxied responses", async () => {
    const r = await send(gw.proxyUrl, "/default", { headers: { origin: "http://any.test" } });
    expect(r.status).toBe(200);
    expect(r.headers["access-control-allow-origin"]).toBe("*");
    expect(r.headers["access-control-allow-methods"]).toBeUndefined();
    expect(r.upstream().method).toBe("GET");
  });

  it("echoes an allowed origin, adds Origin to the upstream's Vary, exposes headers", async () => {
    const r = await send(gw.proxyUrl, "/configured", { headers: { origin: "http://example.org:8080" } });
    expect(r.headers["access-control-allow-origin"]).toBe("http://example.org:8080");
    expect(r.headers["access-control-allow-credentials"]).toBe("true");
    expect(r.headers["access-control-expose-headers"]).toBe("x-auth-token,x-other");
    expect(r.headers.vary).toBe("Accept-Encoding, Origin");
  });

  it("matches regex origins on the whole origin, and exact ones exactly", async () => {
    for (const origin of ["http://www.example.org", "https://example.org", "http://exact.test"]) {
      const r = await send(gw.proxyUrl, "/regex", { headers: { origin } });
      expect(r.headers["access-control-allow-origin"], origin).toBe(origin);
    }
    for (const origin of [
      "http://www.example.org.evil.test",
      "http://example.net",
      "http://exact.test.evil",
    ]) {
      const r = await send(gw.proxyUrl, "/regex", { headers: { origin } });
      expect(r.headers["access-control-allow-origin"], origin).toBeUndefined();
    }
  });

  it("compares plain entries of a list with the whole normalized origin (Kong parses no host out)", async () => {
    const schemeless = await send(gw.proxyUrl, "/configured", { headers: { origin: "example.com" } });
    expect(schemeless.headers["access-control-allow-origin"]).toBe("example.com");
    for (const origin of ["http://example.com", "https://example.com", "http://example.org"]) {
      const r = await send(gw.proxyUrl, "/configured", { headers: { origin } });
      expect(r.headers["access-control-allow-origin"], origin).toBeUndefined();
    }
    const defaultPort = await send(gw.proxyUrl, "/regex", { headers: { origin: "http://exact.test:80" } });
    expect(defaultPort.headers["access-control-allow-origin"]).toBe("http://exact.test");
  });

  it("a single plain origin is the answer whatever the request's Origin, even none", async () => {
    for (const origin of ["http://evil.test", "https://foo.test:8000", undefined]) {
      const r = await send(gw.proxyUrl, "/single", origin === undefined ? {} : { headers: { origin } });
      expect(r.headers["access-control-allow-origin"], origin).toBe("foo.test");
      expect(r.headers.vary).toBe("Accept-Encoding, Origin");
    }
    const pre = await send(gw.proxyUrl, "/single", preflight("http://evil.test"));
    expect(pre.headers["access-control-allow-origin"]).toBe("foo.test");
  });

  it("removes the upstream's Access-Control-Allow-Origin when the origin does not match", async () => {
    const denied = await send(gw.proxyUrl, "/configured?acao=1", { headers: { origin: "http://evil.test" } });
    expect(denied.headers["access-control-allow-origin"]).toBeUndefined();
    expect(denied.headers["access-control-allow-credentials"]).toBe("true");
    const allowed = await send(gw.proxyUrl, "/configured?acao=1", {
      headers: { origin: "http://example.org:8080" },
    });
    expect(allowed.headers["access-control-allow-origin"]).toBe("http://example.org:8080");
  });

  it("treats an empty Origin as none: no preflight, no headers when an origin is required", async () => {
    const required = await send(gw.proxyUrl, "/origin-required", { headers: { origin: "" } });
    expect(required.headers["access-control-allow-origin"]).toBeUndefined();
    const options = await send(gw.proxyUrl, "/default", preflight(""));
    expect(options.upstream().method).toBe("OPTIONS");
  });

  it("echoes the origin instead of * when credentials are allowed", async () => {
    const r = await send(gw.proxyUrl, "/star-credentials", { headers: { origin: "http://site.test" } });
    expect(r.headers["access-control-allow-origin"]).toBe("http://site.test");
    expect(r.headers["access-control-allow-credentials"]).toBe("true");
  });

  it("sends no CORS headers without Origin when allow_origin_absent is false", async () => {
    expect(
      (await send(gw.proxyUrl, "/origin-required")).headers["access-control-allow-origin"],
    ).toBeUndefined();
    expect((await send(gw.proxyUrl, "/default")).headers["access-control-allow-origin"]).toBe("*");
  });

  it("runs before key-auth: its headers are on the 401, and preflights need no key", async () => {
    const denied = await send(gw.proxyUrl, "/with-auth", { headers: { origin: "http://a.test" } });
    expect(denied.status).toBe(401);
    expect(denied.headers["access-control-allow-origin"]).toBe("*");
    const pre = await send(gw.proxyUrl, "/with-auth", preflight("http://a.test"));
    expect(pre.status).toBe(200);
  });

  it("rejects invalid regex origins at load time", async () => {
    await expect(gw.apply(kongDoc(upstream.url, [cors("bad", { origins: ["(unclosed"] })]))).rejects.toThrow(
      /is not a valid regex/,
    );
  });
});

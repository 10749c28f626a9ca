/**
 * Gateway-generated answers, as Kong gives them: no route, route without service, HTTPS
 * required, and the error body formats chosen by Accept.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, rawRequest, startEchoUpstream, startTestGateway } from "../../support/gateway.js";

let upstream: EchoUpstream;
let gw: Gateway;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  gw = await startTestGateway({
    _format_version: "3.0",
    services: [{ name: "echo", url: upstream.url, routes: [{ name: "api", paths: ["/api"] }] }],
    routes: [
      { name: "serviceless", paths: ["/serviceless"] },
      { name: "tls-only", paths: ["/secure"], protocols: ["https"], service: "echo" },
      {
        name: "tls-redirect",
        paths: ["/redirect"],
        protocols: ["https"],
        https_redirect_status_code: 301,
        service: "echo",
      },
    ],
  });
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe("no route matched", () => {
  it("answers 404 with Kong's JSON body, request id and gateway headers", async () => {
    const res = await rawRequest(gw.proxyUrl, "/nowhere");
    expect(res.status).toBe(404);
    const id = res.headers["x-kong-request-id"] as string;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(res.body).toBe(`{\n  "message":"no Route matched with those values",\n  "request_id":"${id}"\n}`);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers.server).toMatch(/^gatestack\//);
    // Kong: an answer of the gateway's own carries only its response latency
    expect(res.headers["x-kong-response-latency"]).toMatch(/^\d+$/);
    expect(res.headers["x-kong-proxy-latency"]).toBeUndefined();
    expect(res.headers["x-kong-upstream-latency"]).toBeUndefined();
    expect(upstream.requests.some((r) => r.path === "/nowhere")).toBe(false);
  });

  it("renders HTML, XML or plain text when Accept asks for it", async () => {
    const html = await rawRequest(gw.proxyUrl, "/nowhere", { headers: { Accept: "text/html" } });
    expect(html.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(html.body).toContain("<p>no Route matched with those values.</p>");
    const xml = await rawRequest(gw.proxyUrl, "/nowhere", { headers: { Accept: "application/xml" } });
    expect(xml.headers["content-type"]).toBe("application/xml; charset=utf-8");
    expect(xml.body).toContain("<message>no Route matched with those values</message>");
    const text = await rawRequest(gw.proxyUrl, "/nowhere", {
      headers: { Accept: "text/plain;q=0.9, application/json;q=0.5" },
    });
    expect(text.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(text.body).toBe(
      `no Route matched with those values\nrequest_id: ${text.headers["x-kong-request-id"]}\n`,
    );
  });

  it("HEAD gets the status and headers without a body", async () => {
    const res = await rawRequest(gw.proxyUrl, "/nowhere", { method: "HEAD" });
    expect(res.status).toBe(404);
    expect(res.body).toBe("");
  });
});

describe("route without a service", () => {
  it("answers 503 no Service found", async () => {
    const res = await rawRequest(gw.proxyUrl, "/serviceless");
    expect(res.status).toBe(503);
    expect(res.json).toEqual({ message: "no Service found with those values" });
  });
});

describe("routes limited to https", () => {
  it("answer 426 to plain http by default, with Kong's exact body and headers", async () => {
    const res = await rawRequest(gw.proxyUrl, "/secure", { headers: { accept: "text/html" } });
    expect(res.status).toBe(426);
    // kong.response.exit(426, { message = ... }): plain JSON whatever Accept says, no request id
    expect(res.body).toBe('{"message":"Please use HTTPS protocol"}');
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers.connection).toContain("Upgrade");
    expect(res.headers.upgrade).toBe("TLS/1.2, HTTP/1.1");
    expect(upstream.requests.some((r) => r.path.startsWith("/secure"))).toBe(false);
  });

  it("X-Forwarded-Proto: https counts only from a trusted peer, and only exactly 'https'", async () => {
    // this gateway's clients (127.0.0.1) are not trusted: the header is ignored
    expect(
      (await rawRequest(gw.proxyUrl, "/secure", { headers: { "x-forwarded-proto": "https" } })).status,
    ).toBe(426);
    const trusting = await startTestGateway(
      {
        _format_version: "3.0",
        services: [{ name: "echo", url: upstream.url }],
        routes: [
          { name: "tls-only", paths: ["/secure"], protocols: ["https"], service: "echo" },
          {
            name: "tls-redirect",
            paths: ["/redirect"],
            protocols: ["https"],
            https_redirect_status_code: 308,
            service: "echo",
          },
        ],
      },
      { trustedIps: ["127.0.0.1"] },
    );
    try {
      const ok = await rawRequest(trusting.proxyUrl, "/secure", {
        headers: { "x-forwarded-proto": "https" },
      });
      expect(ok.status).toBe(200);
      expect((ok.json as { headers: Record<string, string> }).headers["x-forwarded-proto"]).toBe("https");
      const invalid = await rawRequest(trusting.proxyUrl, "/secure", {
        headers: { "x-forwarded-proto": "httpsa" },
      });
      expect(invalid.status).toBe(426);
      expect((await rawRequest(trusting.proxyUrl, "/secure")).status).toBe(426);
      // the redirect goes to the forwarded host when the peer is trusted
      const moved = await rawRequest(trusting.proxyUrl, "/redirect/x?y=1", {
        headers: { host: "internal.local", "x-forwarded-host": "shop.example" },
      });
      expect(moved.status).toBe(308);
      expect(moved.headers.location).toBe("https://shop.example/redirect/x?y=1");
    } finally {
      await trusting.close();
    }
    // untrusted: the Host header's name
    const untrusted = await rawRequest(gw.proxyUrl, "/redirect", {
      headers: { host: "internal.local:8000", "x-forwarded-host": "evil.example" },
    });
    expect(untrusted.headers.location).toBe("https://internal.local/redirect");
  });

  it("redirect when https_redirect_status_code says so", async () => {
    const res = await rawRequest(gw.proxyUrl, "/redirect?a=1", { headers: { Host: "shop.example" } });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe("https://shop.example/redirect?a=1");
  });
});

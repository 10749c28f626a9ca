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
    expect(res.headers["x-kong-response-latency"]).toMatch(/^\d+$/);
    expect(res.headers["x-kong-proxy-latency"]).toMatch(/^\d+$/);
    expect(res.headers["x-kong-upstream-latency"]).toBe("0");
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
  it("answer 426 to plain http by default", async () => {
    const res = await rawRequest(gw.proxyUrl, "/secure");
    expect(res.status).toBe(426);
    expect((res.json as { message: string }).message).toBe("Please use HTTPS protocol");
    expect(res.headers.upgrade).toBe("TLS/1.2, HTTP/1.1");
  });

  it("redirect when https_redirect_status_code says so", async () => {
    const res = await rawRequest(gw.proxyUrl, "/redirect?a=1", { headers: { Host: "shop.example" } });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe("https://shop.example/redirect?a=1");
  });
});

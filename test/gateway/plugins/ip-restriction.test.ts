/**
 * ip-restriction through the running gateway (Kong's
 * spec/03-plugins/17-ip-restriction/02-access_spec.lua re-expressed): allow/deny lists
 * of IPv4/IPv6 addresses and CIDRs, the client address resolved through trusted_ips.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { kongDoc, send } from "./_support.js";

let upstream: EchoUpstream;
let gw: Gateway;
let untrusting: Gateway;

const route = (name: string, config: Record<string, unknown>) => ({
  name,
  paths: [`/${name}`],
  plugins: [{ name: "ip-restriction", config }],
});

const routes = [
  route("deny-local", { deny: ["127.0.0.1"] }),
  route("deny-cidr", { deny: ["10.0.0.0/8", "2001:db8::/32"] }),
  route("allow-cidr", { allow: ["192.168.0.0/16", "fd00::/8"] }),
  route("custom", { deny: ["203.0.113.7"], status: 401, message: "Go away" }),
  route("both", { allow: ["10.0.0.0/8"], deny: ["10.1.0.0/16"] }),
];

const from = (ip: string) => ({ headers: { "x-real-ip": ip } });

beforeAll(async () => {
  upstream = await startEchoUpstream();
  const doc = kongDoc(upstream.url, routes);
  gw = await startTestGateway(doc, { trustedIps: ["127.0.0.1", "::1"] });
  untrusting = await startTestGateway(doc);
});

afterAll(async () => {
  await gw?.close();
  await untrusting?.close();
  await upstream?.close();
});

describe("ip-restriction", () => {
  it("answers 403 'Your IP address is not allowed' to a denied client", async () => {
    const r = await send(untrusting.proxyUrl, "/deny-local");
    expect(r.status).toBe(403);
    expect(r.json().message).toBe("Your IP address is not allowed");
  });

  it("matches IPv4 and IPv6 CIDRs of the deny list", async () => {
    expect((await send(gw.proxyUrl, "/deny-cidr", from("10.20.30.40"))).status).toBe(403);
    expect((await send(gw.proxyUrl, "/deny-cidr", from("2001:db8:1::5"))).status).toBe(403);
    expect((await send(gw.proxyUrl, "/deny-cidr", from("11.0.0.1"))).status).toBe(200);
    expect((await send(gw.proxyUrl, "/deny-cidr", from("2001:db9::1"))).status).toBe(200);
  });

  it("lets only allowed clients through", async () => {
    expect((await send(gw.proxyUrl, "/allow-cidr", from("192.168.5.6"))).status).toBe(200);
    expect((await send(gw.proxyUrl, "/allow-cidr", from("fd12:3456::1"))).status).toBe(200);
    expect((await send(gw.proxyUrl, "/allow-cidr", from("172.16.0.1"))).status).toBe(403);
    expect((await send(gw.proxyUrl, "/allow-cidr")).status).toBe(403);
  });

  it("checks deny before allow", async () => {
    expect((await send(gw.proxyUrl, "/both", from("10.2.0.1"))).status).toBe(200);
    expect((await send(gw.proxyUrl, "/both", from("10.1.2.3"))).status).toBe(403);
  });

  it("uses the configured status and message", async () => {
    const r = await send(gw.proxyUrl, "/custom", from("203.0.113.7"));
    expect(r.status).toBe(401);
    expect(r.json().message).toBe("Go away");
  });

  it("ignores X-Real-IP from untrusted peers", async () => {
    expect((await send(untrusting.proxyUrl, "/allow-cidr", from("192.168.5.6"))).status).toBe(403);
    expect((await send(untrusting.proxyUrl, "/deny-cidr", from("10.0.0.1"))).status).toBe(200);
  });

  it("rejects invalid addresses and empty configs at load time", async () => {
    await expect(gw.apply(kongDoc(upstream.url, [route("x", { allow: ["10.0.0.0/33"] })]))).rejects.toThrow(
      /invalid ip or cidr range: '10.0.0.0\/33'/,
    );
    await expect(gw.apply(kongDoc(upstream.url, [route("y", {})]))).rejects.toThrow(
      /at least one of these fields must be non-empty/,
    );
  });
});

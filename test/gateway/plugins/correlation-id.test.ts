/**
 * correlation-id through the running gateway (Kong's
 * spec/03-plugins/11-correlation-id/01-access_spec.lua re-expressed).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { kongDoc, send } from "./_support.js";

let upstream: EchoUpstream;
let gw: Gateway;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  gw = await startTestGateway(
    kongDoc(upstream.url, [
      { name: "default", paths: ["/default"], plugins: [{ name: "correlation-id" }] },
      {
        name: "uuid",
        paths: ["/uuid"],
        plugins: [
          {
            name: "correlation-id",
            config: { generator: "uuid", header_name: "X-Trace", echo_downstream: true },
          },
        ],
      },
      {
        name: "tracker",
        paths: ["/tracker"],
        plugins: [{ name: "correlation-id", config: { generator: "tracker", echo_downstream: true } }],
      },
      {
        name: "with-auth",
        paths: ["/with-auth"],
        plugins: [{ name: "correlation-id", config: { echo_downstream: true } }, { name: "key-auth" }],
      },
    ]),
  );
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe("correlation-id", () => {
  it("adds Kong-Request-ID as <uuid>#<counter> by default, counting up, not echoed", async () => {
    const a = await send(gw.proxyUrl, "/default");
    const b = await send(gw.proxyUrl, "/default");
    const idA = String(a.upstream().headers["kong-request-id"]);
    const idB = String(b.upstream().headers["kong-request-id"]);
    const [uuidA, countA] = idA.split("#");
    const [uuidB, countB] = idB.split("#");
    expect(uuidA).toMatch(UUID);
    expect(uuidB).toBe(uuidA);
    expect(Number(countB)).toBeGreaterThan(Number(countA));
    expect(a.headers["kong-request-id"]).toBeUndefined();
  });

  it("generates a fresh UUID per request in the configured header and echoes it", async () => {
    const a = await send(gw.proxyUrl, "/uuid");
    const b = await send(gw.proxyUrl, "/uuid");
    const id = a.upstream().headers["x-trace"];
    expect(id).toMatch(UUID);
    expect(b.upstream().headers["x-trace"]).not.toBe(id);
    expect(a.headers["x-trace"]).toBe(id);
  });

  it("keeps an id the client sent", async () => {
    const r = await send(gw.proxyUrl, "/uuid", { headers: { "x-trace": "client-id-1" } });
    expect(r.upstream().headers["x-trace"]).toBe("client-id-1");
    expect(r.headers["x-trace"]).toBe("client-id-1");
  });

  it("treats an empty or blank incoming header as absent: a new id is generated", async () => {
    for (const sent of ["", "   "]) {
      const r = await send(gw.proxyUrl, "/uuid", { headers: { "x-trace": sent } });
      const id = r.upstream().headers["x-trace"];
      expect(id, JSON.stringify(sent)).toMatch(UUID);
      expect(r.headers["x-trace"]).toBe(id);
    }
  });

  it("makes tracker ids from the connection", async () => {
    const r = await send(gw.proxyUrl, "/tracker");
    const id = String(r.upstream().headers["kong-request-id"]);
    expect(id).toMatch(/^[0-9a-f.:]+-\d+-\d+-\d+-\d+-\d+\.\d{3}$/);
    expect(r.headers["kong-request-id"]).toBe(id);
  });

  it("runs first: the id is echoed even on a key-auth 401", async () => {
    const r = await send(gw.proxyUrl, "/with-auth");
    expect(r.status).toBe(401);
    expect(String(r.headers["kong-request-id"])).toMatch(/^[0-9a-f-]{36}#\d+$/);
  });
});

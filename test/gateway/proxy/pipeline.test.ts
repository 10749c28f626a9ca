/**
 * The plugin pipeline through a running gateway, with third-party probe plugins loaded
 * from a plugin folder: Kong's scope precedence (consumer-scoped entries chosen after
 * authentication), enabled:false, priorities and phase order, exits, response bodies
 * buffered only when asked, the log phase after the response, handler lifecycle on reload.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import {
  type CapturedRequest,
  type EchoUpstream,
  rawRequest,
  startEchoUpstream,
  startTestGateway,
} from "../../support/gateway.js";
import { probeEvents } from "./fixtures/events.js";

const PLUGIN_DIR = fileURLToPath(new URL("./fixtures/plugins", import.meta.url));

let upstream: EchoUpstream;
let gw: Gateway;

function scope(
  tag: string,
  where: { route?: string; service?: string; consumer?: string; enabled?: boolean } = {},
) {
  return { name: "probe-scope", config: { tag }, ...where };
}

function doc() {
  return {
    _format_version: "3.0",
    consumers: [{ username: "alice" }, { username: "bob" }, { username: "carol" }],
    services: [
      {
        name: "s1",
        url: upstream.url,
        routes: [
          { name: "r1", paths: ["/r1"] },
          { name: "r2", paths: ["/r2"] },
          { name: "disabled", paths: ["/disabled"] },
        ],
      },
      { name: "s2", url: upstream.url, routes: [{ name: "r3", paths: ["/r3"] }] },
      {
        name: "s3",
        url: upstream.url,
        routes: [
          { name: "exit", paths: ["/exit"] },
          { name: "body", paths: ["/body"], strip_path: false },
          { name: "chunked", paths: ["/chunked"], strip_path: false },
          { name: "logs", paths: ["/logs"] },
        ],
      },
    ],
    plugins: [
      { name: "probe-auth" },
      scope("global"),
      scope("service", { service: "s1" }),
      scope("route", { route: "r2" }),
      scope("route+service", { route: "r1", service: "s1" }),
      scope("consumer", { consumer: "alice" }),
      scope("consumer+route", { consumer: "bob", route: "r1" }),
      scope("consumer+service", { consumer: "carol", service: "s1" }),
      scope("consumer+route+service", { consumer: "carol", route: "r1", service: "s1" }),
      scope("disabled-route", { route: "disabled", enabled: false }),
      { name: "probe-phases", route: "exit", config: { tag: "exit", exit_status: 418 } },
      { name: "probe-body", route: "body", config: { suffix: "!" } },
      { name: "probe-phases", route: "logs", config: { tag: "logs", throw_in_log: true } },
    ],
  };
}

beforeAll(async () => {
  upstream = await startEchoUpstream({
    handler: (req, res) => {
      if (req.url === "/body" || req.url === "/chunked") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("hello ");
        res.end("world");
        return true;
      }
      return false;
    },
  });
  gw = await startTestGateway(doc(), { pluginDirs: [PLUGIN_DIR] });
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

beforeEach(() => {
  probeEvents().length = 0;
});

async function scopeFor(path: string, user?: string): Promise<string | undefined> {
  const res = await rawRequest(gw.proxyUrl, path, { headers: user ? { "x-user": user } : {} });
  expect(res.status).toBe(200);
  const sent = (res.json as CapturedRequest).headers["x-scope"];
  expect(res.headers["x-scope"]).toBe(sent);
  return sent as string | undefined;
}

describe("scope precedence", () => {
  it.each([
    ["/r3", undefined, "global"],
    ["/r2", undefined, "route"],
    ["/r1", undefined, "route+service"],
    ["/r3", "alice", "consumer"],
    ["/r2", "alice", "consumer"],
    ["/r1", "alice", "route+service"],
    ["/r1", "bob", "consumer+route"],
    ["/r2", "bob", "route"],
    ["/r2", "carol", "consumer+service"],
    ["/r1", "carol", "consumer+route+service"],
    ["/r3", "carol", "global"],
  ])("%s as %s → %s", async (path, user, expected) => {
    expect(await scopeFor(path, user)).toBe(expected);
  });

  it("a disabled entry is skipped and the next scope applies", async () => {
    expect(await scopeFor("/disabled")).toBe("service");
  });
});

describe("phases", () => {
  it("an access exit answers the request; later plugins still run their response and log phases", async () => {
    const before = upstream.requests.length;
    const res = await rawRequest(gw.proxyUrl, "/exit");
    expect(res.status).toBe(418);
    expect(res.json).toEqual({ message: "exit by exit" });
    expect(res.headers["x-exit"]).toBe("exit");
    expect(res.headers["x-probe-phases"]).toBe("exit");
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(upstream.requests.length).toBe(before);
    await new Promise((r) => setTimeout(r, 50));
    const phases = probeEvents().map((e) => `${e.plugin}:${e.phase}`);
    // the global probe-scope (priority 1000) never ran access after the exit, but its later phases did
    expect(phases).toEqual([
      "probe-phases:access",
      "probe-phases:responseHeaders",
      "probe-scope:responseHeaders",
      "probe-phases:log",
      "probe-scope:log",
    ]);
    expect(probeEvents().find((e) => e.phase === "responseHeaders")?.extra).toBe("exit");
  });

  it("plugins run by descending priority in every phase", async () => {
    await rawRequest(gw.proxyUrl, "/logs", { headers: { "x-user": "alice" } });
    await new Promise((r) => setTimeout(r, 50));
    const order = probeEvents().map((e) => `${e.plugin}:${e.phase}`);
    expect(order).toEqual([
      "probe-phases:access",
      "probe-auth:access",
      "probe-scope:access",
      "probe-phases:responseHeaders",
      "probe-scope:responseHeaders",
      "probe-phases:log",
      "probe-scope:log",
    ]);
  });

  it("a failing log phase neither breaks the response nor the next requests", async () => {
    const res = await rawRequest(gw.proxyUrl, "/logs");
    expect(res.status).toBe(200);
    expect(res.headers["x-probe-phases"]).toBe("logs");
    expect((await rawRequest(gw.proxyUrl, "/logs")).status).toBe(200);
  });

  it("the response body is buffered and transformed only on routes with a body plugin", async () => {
    const transformed = await rawRequest(gw.proxyUrl, "/body");
    expect(transformed.body).toBe("HELLO WORLD!");
    expect(transformed.headers["content-length"]).toBe("12");
    expect(transformed.headers["transfer-encoding"]).toBeUndefined();
    const streamed = await rawRequest(gw.proxyUrl, "/chunked");
    expect(streamed.body).toBe("hello world");
    expect(streamed.headers["transfer-encoding"]).toBe("chunked");
  });
});

describe("plugin handler lifecycle", () => {
  it("handlers are created at load; a reloaded entry gets its previous handler; removed ones are closed", async () => {
    const local = await startEchoUpstream();
    const one = {
      _format_version: "3.0",
      services: [{ name: "x", url: local.url, routes: [{ name: "x", paths: ["/"] }] }],
      plugins: [
        { id: "11111111-1111-4111-8111-111111111111", name: "probe-phases", config: { tag: "kept" } },
        {
          id: "22222222-2222-4222-8222-222222222222",
          name: "probe-phases",
          route: "x",
          config: { tag: "dropped" },
        },
      ],
    };
    const g = await startTestGateway(one, { pluginDirs: [PLUGIN_DIR] });
    try {
      const created = probeEvents().filter((e) => e.phase === "create");
      expect(created.map((e) => [e.tag, e.extra])).toEqual([
        ["kept", false],
        ["dropped", false],
      ]);
      probeEvents().length = 0;
      await g.apply({ ...one, plugins: [one.plugins[0]] });
      const events = probeEvents().map((e) => [e.phase, e.tag, e.extra]);
      expect(events).toContainEqual(["create", "kept", true]);
      expect(events).toContainEqual(["close", "dropped", undefined]);
      expect(events.filter((e) => e[0] === "close" && e[1] === "kept")).toEqual([]);
    } finally {
      await g.close();
      await local.close();
    }
    expect(probeEvents().some((e) => e.phase === "close" && e.tag === "kept")).toBe(true);
  });
});

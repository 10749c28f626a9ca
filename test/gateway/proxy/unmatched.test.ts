/**
 * Requests the gateway answers before the access phase — no route matched (404) and plain
 * http on an https-only route (426) — still run the GLOBAL plugins' response and log phases,
 * as Kong's runloop does (its global plugins iterator when no plugins were collected), so
 * Kong's logging plugins see them. Access never runs; route/service-scoped entries never run.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import {
  type EchoUpstream,
  rawRequest,
  startEchoUpstream,
  startTestGateway,
  until,
} from "../../support/gateway.js";
import { probeEvents } from "./fixtures/events.js";

const PLUGIN_DIR = fileURLToPath(new URL("./fixtures/plugins", import.meta.url));

let upstream: EchoUpstream;
let gw: Gateway;
let dir: string;
let logFile: string;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  dir = await mkdtemp(join(tmpdir(), "gw-unmatched-"));
  logFile = join(dir, "requests.log");
  gw = await startTestGateway(
    {
      _format_version: "3.0",
      services: [{ name: "echo", url: upstream.url, routes: [{ name: "api", paths: ["/api"] }] }],
      routes: [{ name: "tls-only", paths: ["/secure"], protocols: ["https"], service: "echo" }],
      plugins: [
        { name: "probe-phases", config: { tag: "global" } },
        { name: "probe-phases", route: "tls-only", config: { tag: "route" } },
        { name: "file-log", config: { path: logFile } },
        { name: "prometheus", config: { status_code_metrics: true } },
      ],
    },
    { pluginDirs: [PLUGIN_DIR] },
  );
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  probeEvents().length = 0;
});

async function logLines(): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(logFile, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("requests answered before the access phase", () => {
  it("404: global plugins run responseHeaders and log (never access), with route and service null", async () => {
    const res = await rawRequest(gw.proxyUrl, "/nowhere?x=1");
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ message: "no Route matched with those values" });
    expect(res.headers["x-probe-phases"]).toBe("global");
    await until(() => probeEvents().some((e) => e.phase === "log"));
    expect(probeEvents().map((e) => [e.tag, e.phase, e.extra])).toEqual([
      ["global", "responseHeaders", "exit"],
      ["global", "log", 404],
    ]);
    await until(async () =>
      (await logLines()).some((l) => (l.request as { uri: string }).uri === "/nowhere?x=1"),
    );
    const line = (await logLines()).find((l) => (l.request as { uri: string }).uri === "/nowhere?x=1")!;
    expect(line).toMatchObject({ response: { status: 404 }, route: null, service: null, source: "kong" });
  });

  it("426: the global entries run, the route's own entry does not", async () => {
    const res = await rawRequest(gw.proxyUrl, "/secure");
    expect(res.status).toBe(426);
    expect(res.headers["x-probe-phases"]).toBe("global");
    await until(() => probeEvents().some((e) => e.phase === "log"));
    expect(probeEvents().map((e) => [e.tag, e.phase])).toEqual([
      ["global", "responseHeaders"],
      ["global", "log"],
    ]);
    await until(async () =>
      (await logLines()).some((l) => (l.response as { status: number }).status === 426),
    );
    const line = (await logLines()).find((l) => (l.response as { status: number }).status === 426)!;
    expect((line.route as { name: string }).name).toBe("tls-only");
  });

  it("prometheus, as Kong's, records no per-service series for unmatched requests", async () => {
    await rawRequest(gw.proxyUrl, "/nowhere");
    const ok = await rawRequest(gw.proxyUrl, "/api");
    expect(ok.status).toBe(200);
    const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(text).toMatch(/kong_http_requests_total\{service="echo",route="api",code="200"/);
    expect(text).not.toMatch(/kong_http_requests_total\{[^}]*code="404"/);
  });
});

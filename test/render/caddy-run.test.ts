import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CADDYFILE_PATH } from "../../src/render/caddyfile.js";
import { type EchoUpstream, startEchoUpstream } from "../support/gateway.js";
import { freePort, type ManagedProcess } from "../support/processes.js";
import { monolithStack } from "./fixtures.js";
import { artifact, artifactsOf, runCaddy, TOOLS_PASSWORD, TOOLS_USER, tempDir } from "./support.js";

/**
 * The rendered Caddyfile run by the real Caddy. Only addresses are rewritten for loopback:
 * the two gateway replicas become 127.0.0.2 / 127.0.0.3 (each with a fake proxy and a
 * status listener on the same port, as health_port requires), Grafana an echo server, and
 * the listeners random free ports. Replica 2 reports 503 on /status/ready.
 */
const stack = monolithStack({ https: "off", gateway: { replicas: 2 } }, { grafana: true, prometheus: true });

async function statusServer(host: string, port: number, status: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ ready: status === 200 }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return server;
}

let work: { dir: string; cleanup: () => Promise<void> };
let caddy: ManagedProcess;
let replicas: EchoUpstream[] = [];
let grafana: EchoUpstream;
let statusServers: Server[] = [];
let sitePort = 0;
let internalPort = 0;
let adminPort = 0;

beforeAll(async () => {
  work = await tempDir("gatestack-caddy-run-");
  replicas = [await startEchoUpstream({ host: "127.0.0.2" }), await startEchoUpstream({ host: "127.0.0.3" })];
  grafana = await startEchoUpstream();
  const statusPort = await freePort("127.0.0.2");
  statusServers = [
    await statusServer("127.0.0.2", statusPort, 200),
    await statusServer("127.0.0.3", statusPort, 503),
  ];
  [sitePort, internalPort, adminPort] = [await freePort(), await freePort(), await freePort()];

  const rendered = artifact(artifactsOf(stack), CADDYFILE_PATH).content;
  const local = rendered
    .replace("admin localhost:2019", `admin localhost:${adminPort}`)
    .replace(/^:80 \{$/m, `:${sitePort} {`)
    .replace("shop-gateway-1:8000", `127.0.0.2:${replicas[0]!.port}`)
    .replace("shop-gateway-2:8000", `127.0.0.3:${replicas[1]!.port}`)
    .replace("health_port 8100", `health_port ${statusPort}`)
    .replace("grafana:3000", `127.0.0.1:${grafana.port}`)
    .replace("http://:9180", `http://:${internalPort}`);
  expect(local).not.toBe(rendered);
  const file = join(work.dir, "Caddyfile");
  await writeFile(file, local);

  caddy = await runCaddy(file, work.dir, internalPort);
}, 30_000);

afterAll(async () => {
  await caddy?.stop();
  await Promise.all([...replicas, grafana].map((u) => u?.close()));
  await Promise.all(statusServers.map((s) => new Promise((r) => s.close(r))));
  await work?.cleanup();
});

const site = (path: string) => `http://127.0.0.1:${sitePort}${path}`;

describe("rendered Caddyfile running in Caddy", () => {
  it("sends traffic only to the gateway replica whose /status/ready is healthy", async () => {
    // Active health checks run in the background: wait until replica 2 is out of rotation.
    const deadline = Date.now() + 10_000;
    let hits: number[] = [];
    while (Date.now() < deadline) {
      const before = replicas.map((r) => r.requests.length);
      for (let i = 0; i < 6; i++) await fetch(site("/api/ping"));
      hits = replicas.map((r, i) => r.requests.length - before[i]!);
      if (hits[1] === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(hits).toEqual([6, 0]);
  });

  it("keeps a client's X-Request-ID and assigns one when the client sent none", async () => {
    const given = await fetch(site("/api/items"), { headers: { "X-Request-ID": "trace-abc-123" } });
    const seen = (await given.json()) as { headers: Record<string, string> };
    expect(seen.headers["x-request-id"]).toBe("trace-abc-123");

    const fresh = await fetch(site("/api/items"));
    const seenFresh = (await fresh.json()) as { headers: Record<string, string> };
    expect(seenFresh.headers["x-request-id"]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it("forwards client address headers and adds security headers, without Server or HSTS over HTTP", async () => {
    const r = await fetch(site("/api/items"), {
      headers: { "X-Real-IP": "203.0.113.7", "X-Forwarded-For": "203.0.113.7" },
    });
    const seen = (await r.json()) as { headers: Record<string, string> };
    // the edge's view replaces the client's: Caddy trusts no proxy in front of it
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["x-real-ip"]).toBe("127.0.0.1");
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(r.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(r.headers.get("server")).toBeNull();
    expect(r.headers.get("strict-transport-security")).toBeNull();
  });

  it("guards /grafana with basic auth and keeps the edge credentials away from Grafana", async () => {
    expect((await fetch(site("/grafana/api/health"))).status).toBe(401);
    const wrong = Buffer.from(`${TOOLS_USER}:nope`).toString("base64");
    expect(
      (await fetch(site("/grafana/api/health"), { headers: { authorization: `Basic ${wrong}` } })).status,
    ).toBe(401);
    const good = Buffer.from(`${TOOLS_USER}:${TOOLS_PASSWORD}`).toString("base64");
    const ok = await fetch(site("/grafana/api/health"), { headers: { authorization: `Basic ${good}` } });
    expect(ok.status).toBe(200);
    const seen = (await ok.json()) as { path: string; headers: Record<string, string> };
    expect(seen.path).toBe("/grafana/api/health");
    expect(seen.headers.authorization).toBeUndefined();
    const bare = await fetch(site("/grafana"), { redirect: "manual" });
    expect(bare.status).toBe(308);
    expect(bare.headers.get("location")).toBe("/grafana/");
  });

  it("serves Caddy's metrics only on the internal listener, not on the site", async () => {
    const internal = await fetch(`http://127.0.0.1:${internalPort}/metrics`);
    expect(internal.status).toBe(200);
    expect(await internal.text()).toContain("caddy_");
    const pub = await fetch(site("/metrics"));
    const seen = (await pub.json()) as { path: string };
    expect(seen.path).toBe("/metrics"); // answered by the gateway, not Caddy's metrics handler
  });

  it("lists each gateway replica in the admin API's upstream view", async () => {
    const r = await fetch(`http://127.0.0.1:${adminPort}/reverse_proxy/upstreams`);
    const upstreams = (await r.json()) as Array<{ address: string }>;
    const gatewayReplicas = upstreams.map((u) => u.address).filter((a) => /^127\.0\.0\.[23]:/.test(a));
    expect(gatewayReplicas.sort()).toEqual(
      [`127.0.0.2:${replicas[0]!.port}`, `127.0.0.3:${replicas[1]!.port}`].sort(),
    );
  });

  it("writes JSON access logs without API keys", async () => {
    await fetch(site("/api/secret"), { headers: { apikey: "key-that-must-not-be-logged" } });
    await new Promise((r) => setTimeout(r, 300));
    const access = caddy
      .output()
      .split("\n")
      .filter((l) => l.includes('"http.log.access'))
      .map((l) => JSON.parse(l) as { request: { uri: string; headers: Record<string, string[]> } });
    const entry = access.find((e) => e.request.uri === "/api/secret");
    expect(entry).toBeDefined();
    expect(entry!.request.headers.Apikey).toBeUndefined();
    expect(caddy.output()).not.toContain("key-that-must-not-be-logged");
  });

  it("redacts credential query arguments (base names and the key-auth key_names) in the logged URI", async () => {
    await fetch(site("/api/query-secret?apikey=edge-secret-1&X-Shop-Key=edge-secret-2&page=2"));
    await new Promise((r) => setTimeout(r, 300));
    const uris = caddy
      .output()
      .split("\n")
      .filter((l) => l.includes('"http.log.access'))
      .map((l) => (JSON.parse(l) as { request: { uri: string } }).request.uri);
    const logged = uris.find((u) => u.startsWith("/api/query-secret?"));
    expect(logged).toBeDefined();
    expect(Object.fromEntries(new URLSearchParams(logged!.split("?")[1]))).toEqual({
      apikey: "REDACTED",
      "X-Shop-Key": "REDACTED",
      page: "2",
    });
    expect(caddy.output()).not.toContain("edge-secret");
  });
});

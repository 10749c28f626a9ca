/**
 * The user guide this project grew from (../shared/seed), run as a user would: its `curl` commands
 * against the Admin API, as written — only `http://localhost:8001` becomes the test gateway's admin
 * address and the guide's `host.docker.internal:8000/8001` targets become two real upstreams on
 * loopback — each followed by a request through the proxy that shows it took effect.
 *
 * In database mode every step works (Kong's own database mode refuses the guide's POST /config).
 * Without a database (DB-less, like Kong's) the entity writes answer Kong's 405 and POST /config,
 * GET /status and /metrics work.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { SignJWT } from "jose";
import { fetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/gateway/server.js";
import { cleanupsAfterEach } from "../support/cleanups.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../support/gateway.js";
import { postgresPerFile } from "./database/_support.js";

const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);

let fastapi8000: EchoUpstream;
let fastapi8001: EchoUpstream;
let dir: string;

beforeAll(async () => {
  [fastapi8000, fastapi8001] = await Promise.all([startEchoUpstream(), startEchoUpstream()]);
  dir = mkdtempSync(join(tmpdir(), "user-guide-"));
});
afterAll(async () => {
  await Promise.all([fastapi8000?.close(), fastapi8001?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** What the guide's kong.yml (section 6a, deployed by Jenkins with POST /config) would hold. */
function kongYml(): string {
  return `_format_version: "3.0"
services:
  - name: fastapi-service
    host: fastapi-upstream
    port: 80
    routes:
      - name: api
        paths: [/api]
    plugins:
      - name: prometheus
consumers:
  - username: test-user
upstreams:
  - name: fastapi-upstream
    targets:
      - target: 127.0.0.1:${fastapi8000.port}
        weight: 100
      - target: 127.0.0.1:${fastapi8001.port}
        weight: 100
`;
}

interface CurlResult {
  status: number;
  body: Record<string, unknown> & { message?: string };
}

/** Run one of the guide's curl commands as written, against `gw`'s Admin API. */
async function curl(gw: Gateway, command: string): Promise<CurlResult> {
  const line = command
    .replaceAll("http://localhost:8001", gw.adminUrl!)
    .replaceAll("host.docker.internal:8000", `127.0.0.1:${fastapi8000.port}`)
    .replaceAll("host.docker.internal:8001", `127.0.0.1:${fastapi8001.port}`)
    .replace(/^curl /, `curl -sS -w '\\n%{http_code}' `);
  const r = await execa("bash", ["-c", line], { cwd: dir, reject: false });
  if (r.exitCode !== 0) throw new Error(`curl failed: ${r.stderr}`);
  const out = r.stdout;
  const cut = out.lastIndexOf("\n");
  const text = out.slice(0, cut);
  return { status: Number(out.slice(cut + 1)), body: text === "" ? {} : JSON.parse(text) };
}

/** The guide's commands, in its order (sections 1–6), exactly as printed. */
const GUIDE = {
  prometheus: `curl -X POST http://localhost:8001/services/fastapi-service/plugins \\
      --data "name=prometheus"`,
  httpLog: `curl -X POST http://localhost:8001/services/fastapi-service/plugins \\
      --data "name=http-log" \\
      --data "config.http_endpoint=http://logstash:8080"`,
  jwt: `curl -X POST http://localhost:8001/services/fastapi-service/plugins \\
      --data "name=jwt"`,
  consumerJwt: `curl -X POST http://localhost:8001/consumers/test-user/jwt \\
      --data "key=your-key" \\
      --data "secret=your-secret"`,
  acl: `curl -X POST http://localhost:8001/services/fastapi-service/plugins \\
      --data "name=acl" \\
      --data "config.allow=192.168.1.0/24"`,
  cors: `curl -X POST http://localhost:8001/services/fastapi-service/plugins \\
      --data "name=cors" \\
      --data "config.origins=*" \\
      --data "config.methods=GET,POST,PUT,DELETE"`,
  upstream: `curl -X POST http://localhost:8001/upstreams \\
      --data "name=fastapi-upstream"`,
  target8000: `curl -X POST http://localhost:8001/upstreams/fastapi-upstream/targets \\
      --data "target=host.docker.internal:8000" \\
      --data "weight=100"`,
  target8001: `curl -X POST http://localhost:8001/upstreams/fastapi-upstream/targets \\
      --data "target=host.docker.internal:8001" \\
      --data "weight=100"`,
  serviceToUpstream: `curl -X PATCH http://localhost:8001/services/fastapi-service \\
      --data "host=fastapi-upstream"`,
  proxyCache: `curl -X POST http://localhost:8001/services/fastapi-service/plugins \\
      --data "name=proxy-cache" \\
      --data "config.content_type=application/json" \\
      --data "config.cache_ttl=300"`,
  requestTransformer: `curl -X POST http://localhost:8001/services/fastapi-service/plugins \\
      --data "name=request-transformer" \\
      --data "config.add.headers=X-Custom-Header:Value"`,
  postConfig: `curl -X POST http://localhost:8001/config \\
      -F "config=@kong.yml"`,
  healthchecks: `curl -X PATCH http://localhost:8001/upstreams/fastapi-upstream \\
      --data "healthchecks.active.healthy.interval=5"`,
} as const;

/** What the guide takes as done before its first command: the service, its route, the consumer. */
const BEFORE = {
  service: `curl -X POST http://localhost:8001/services --data "name=fastapi-service" --data "url=http://host.docker.internal:8000"`,
  route: `curl -X POST http://localhost:8001/services/fastapi-service/routes --data "name=api" --data "paths[]=/api"`,
  consumer: `curl -X POST http://localhost:8001/consumers --data "username=test-user"`,
};

const proxy = (gw: Gateway, path: string, headers: Record<string, string> = {}, method = "GET") =>
  fetch(`${gw.proxyUrl}${path}`, { method, headers });

const token = () =>
  new SignJWT({ iss: "your-key" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode("your-secret"));

describe("the user guide's curl walkthrough", () => {
  it("database mode: every step works and shows in the traffic", async () => {
    const gw = await db.gateway(await db.freshDatabase());
    for (const step of Object.values(BEFORE)) expect((await curl(gw, step)).status).toBe(201);
    expect((await proxy(gw, "/api/items")).status).toBe(200);

    // 1a Prometheus: the plugin, then the metrics on the Admin API's /metrics (Kong 3's defaults:
    // the node's; per-service counts only with config.status_code_metrics)
    expect((await curl(gw, GUIDE.prometheus)).status).toBe(201);
    await proxy(gw, "/api/items");
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^kong_nginx_requests_total\{[^}]*\} \d+$/m);
    expect(metrics).toContain("kong_datastore_reachable");

    // 1b HTTP log to Logstash (unreachable here: the request is not held up by it)
    const httpLog = await curl(gw, GUIDE.httpLog);
    expect(httpLog.status).toBe(201);
    expect(httpLog.body).toMatchObject({
      name: "http-log",
      config: { http_endpoint: "http://logstash:8080" },
    });
    expect((await proxy(gw, "/api/items")).status).toBe(200);

    // 2a JWT: the plugin (requests now need a token), then the consumer's key and secret
    expect((await curl(gw, GUIDE.jwt)).status).toBe(201);
    expect((await proxy(gw, "/api/items")).status).toBe(401);
    const credential = await curl(gw, GUIDE.consumerJwt);
    expect(credential.status).toBe(201);
    expect(credential.body).toMatchObject({ key: "your-key", secret: "your-secret", algorithm: "HS256" });
    const bearer = { authorization: `Bearer ${await token()}` };
    expect((await proxy(gw, "/api/items", bearer)).status).toBe(200);

    // 2b "IP whitelisting" with the ACL plugin: Kong's acl allows consumer groups, so the guide's
    // CIDR is a group name — test-user is outside it until it joins that group
    expect((await curl(gw, GUIDE.acl)).status).toBe(201);
    const refused = await proxy(gw, "/api/items", bearer);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ message: "You cannot consume this service" });
    const joined = await curl(
      gw,
      `curl -X POST http://localhost:8001/consumers/test-user/acls --data "group=192.168.1.0/24"`,
    );
    expect(joined.status).toBe(201);
    expect((await proxy(gw, "/api/items", bearer)).status).toBe(200);

    // 2c CORS, methods given as one comma list
    const cors = await curl(gw, GUIDE.cors);
    expect(cors.status).toBe(201);
    expect(cors.body).toMatchObject({
      config: { origins: ["*"], methods: ["GET", "POST", "PUT", "DELETE"] },
    });
    const preflight = await proxy(
      gw,
      "/api/items",
      { origin: "https://app.example", "access-control-request-method": "PUT" },
      "OPTIONS",
    );
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toBe("GET,POST,PUT,DELETE");

    // 3a load balancing: the upstream, its two targets, the service pointed at it
    expect((await curl(gw, GUIDE.upstream)).status).toBe(201);
    expect((await curl(gw, GUIDE.target8000)).body).toMatchObject({ weight: 100 });
    expect((await curl(gw, GUIDE.target8001)).status).toBe(201);
    const patched = await curl(gw, GUIDE.serviceToUpstream);
    expect(patched.status).toBe(200);
    expect(patched.body.host).toBe("fastapi-upstream");
    const [before8000, before8001] = [fastapi8000.requests.length, fastapi8001.requests.length];
    for (let i = 0; i < 20; i++) expect((await proxy(gw, `/api/spread/${i}`, bearer)).status).toBe(200);
    expect(fastapi8000.requests.length - before8000).toBeGreaterThan(0);
    expect(fastapi8001.requests.length - before8001).toBeGreaterThan(0);

    // 5a the cache: the second identical request is a hit
    expect((await curl(gw, GUIDE.proxyCache)).status).toBe(201);
    expect((await proxy(gw, "/api/cached", bearer)).headers.get("x-cache-status")).toBe("Miss");
    expect((await proxy(gw, "/api/cached", bearer)).headers.get("x-cache-status")).toBe("Hit");

    // 5b the request transformer adds the header on the way to the app
    expect((await curl(gw, GUIDE.requestTransformer)).status).toBe(201);
    const echoed = (await (await proxy(gw, "/api/transformed", bearer)).json()) as {
      headers: Record<string, string>;
    };
    expect(echoed.headers["x-custom-header"]).toBe("Value");

    // 6a Jenkins deploys kong.yml with POST /config: it replaces the whole configuration
    writeFileSync(join(dir, "kong.yml"), kongYml());
    expect((await curl(gw, GUIDE.postConfig)).status).toBe(201);
    expect((await proxy(gw, "/api/after-deploy")).status).toBe(200); // no jwt in the file
    const plugins = (await (await fetch(`${gw.adminUrl}/plugins`)).json()) as { data: { name: string }[] };
    expect(plugins.data.map((p) => p.name)).toEqual(["prometheus"]);

    // 6b active health checks on the upstream, then the status endpoint Jenkins polls
    const health = await curl(gw, GUIDE.healthchecks);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ healthchecks: { active: { healthy: { interval: 5 } } } });
    const status = await curl(gw, "curl http://localhost:8001/status");
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ database: { reachable: true } });
  });

  it("without a database (DB-less): the entity writes answer Kong's 405, POST /config and /status work", async () => {
    writeFileSync(join(dir, "kong.yml"), kongYml());
    const gw = await startTestGateway({ _format_version: "3.0" });
    cleanups.push(() => gw.close());

    const posted = await curl(gw, GUIDE.postConfig);
    expect(posted.status).toBe(201);
    expect((await proxy(gw, "/api/items")).status).toBe(200);

    const writes = Object.entries(GUIDE).filter(([step]) => step !== "postConfig");
    for (const [step, command] of writes) {
      const r = await curl(gw, command);
      expect({ step, status: r.status }).toEqual({ step, status: 405 });
      expect(r.body).toMatchObject({ code: 12, name: "operation unsupported" });
      expect(r.body.message).toMatch(/when not using a database$/);
    }
    const status = await curl(gw, "curl http://localhost:8001/status");
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ database: { reachable: true } });
    expect(await (await fetch(`${gw.adminUrl}/metrics`)).text()).toContain("kong_");
  });
});

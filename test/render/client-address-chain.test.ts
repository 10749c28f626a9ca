/**
 * The client's address through the real chain, as `stack render` wires it: the rendered
 * Caddyfile running in the real Caddy, in front of the real gateway started with the rendered
 * compose environment (KONG_TRUSTED_IPS, KONG_REAL_IP_HEADER, KONG_REAL_IP_RECURSIVE through
 * `stack gateway serve`'s own option mapping) and the rendered gateway.yaml. A client sending
 * forged X-Real-IP / X-Forwarded-For headers cannot choose the address the gateway believes:
 * ip-restriction, rate-limiting by ip, the upstream's headers and the access log all see the
 * address Caddy saw.
 *
 * Only addresses are rewritten for loopback: the client connects from 127.0.0.5, Caddy (on
 * 127.0.0.1) reaches the gateway on 127.0.0.2, the app is an echo server; the stack trusts
 * 127.0.0.1 (Caddy's address here, as the Docker networks' ranges are in a real stack).
 */
import { writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveOptions } from "../../src/cli/gateway-serve-options.js";
import { silentLogger } from "../../src/gateway/logger.js";
import { type Gateway, startGateway } from "../../src/gateway/server.js";
import { CADDYFILE_PATH } from "../../src/render/caddyfile.js";
import { type EchoUpstream, startEchoUpstream } from "../support/gateway.js";
import { freePort, type ManagedProcess } from "../support/processes.js";
import { monolithStack } from "./fixtures.js";
import { artifact, artifactsOf, runCaddy, tempDir, yamlOf } from "./support.js";

const CLIENT = "127.0.0.5";
const FORGED = "203.0.113.7";

const stack = monolithStack({
  https: "off",
  gateway: { trusted_ips: ["127.0.0.1"] },
  services: [
    {
      name: "app",
      routes: [
        { name: "api", paths: ["/api"] },
        {
          name: "forged",
          paths: ["/forged"],
          plugins: [{ name: "ip-restriction", config: { allow: [FORGED] } }],
        },
        {
          name: "client",
          paths: ["/client"],
          plugins: [{ name: "ip-restriction", config: { allow: [CLIENT] } }],
        },
        {
          name: "limited",
          paths: ["/limited"],
          plugins: [{ name: "rate-limiting", config: { minute: 2, limit_by: "ip", policy: "local" } }],
        },
      ],
    },
  ],
} as Parameters<typeof monolithStack>[0]);

let work: { dir: string; cleanup: () => Promise<void> };
let app: EchoUpstream;
let gateway: Gateway;
let caddy: ManagedProcess;
const accessLog = new PassThrough();
let accessLines = "";
let sitePort = 0;

beforeAll(async () => {
  work = await tempDir("gatestack-client-address-");
  app = await startEchoUpstream();
  const artifacts = artifactsOf(stack);

  // the gateway, configured by the rendered compose environment
  const compose = yamlOf<{ services: { gateway: { environment: Record<string, string> } } }>(
    artifacts,
    "compose.yaml",
  );
  const env = { ...compose.services.gateway.environment };
  expect(env.KONG_REAL_IP_HEADER).toBe("X-Forwarded-For");
  const gatewayYaml = artifact(artifacts, "config/gateway/gateway.yaml").content.replace(
    "target: app:8000",
    `target: 127.0.0.1:${app.port}`,
  );
  const configFile = join(work.dir, "gateway.yaml");
  await writeFile(configFile, gatewayYaml);
  env.KONG_DECLARATIVE_CONFIG = configFile;
  env.DEMO_API_KEY = "demo-key";
  const proxyPort = await freePort("127.0.0.2");
  const statusPort = await freePort("127.0.0.2");
  Object.assign(env, {
    KONG_PROXY_LISTEN: `127.0.0.2:${proxyPort}`,
    KONG_STATUS_LISTEN: `127.0.0.2:${statusPort}`,
    KONG_ADMIN_LISTEN: "off",
  });
  accessLog.on("data", (c: Buffer) => {
    accessLines += c.toString();
  });
  gateway = await startGateway({ ...serveOptions({}, env), logger: silentLogger, accessLog });

  // Caddy, with the rendered Caddyfile
  sitePort = await freePort();
  const internalPort = await freePort();
  const adminPort = await freePort();
  const rendered = artifact(artifacts, CADDYFILE_PATH).content;
  const local = rendered
    .replace("admin localhost:2019", `admin localhost:${adminPort}`)
    .replace(/^:80 \{$/m, `:${sitePort} {`)
    .replace("shop-gateway-1:8000", `127.0.0.2:${proxyPort}`)
    .replace("health_port 8100", `health_port ${statusPort}`)
    .replace("http://:9180", `http://:${internalPort}`);
  expect(local).not.toBe(rendered);
  const file = join(work.dir, "Caddyfile");
  await writeFile(file, local);
  caddy = await runCaddy(file, work.dir, internalPort);
}, 30_000);

afterAll(async () => {
  await caddy?.stop();
  await gateway?.close();
  await app?.close();
  await work?.cleanup();
});

/** A request to Caddy from the client's own address (127.0.0.5). */
function send(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: sitePort, path, headers, localAddress: CLIENT, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const forgeries: Array<Record<string, string>> = [
  { "X-Real-IP": FORGED },
  { "X-Forwarded-For": FORGED },
  { "X-Forwarded-For": `${FORGED}, 127.0.0.1` },
  { "X-Real-IP": FORGED, "X-Forwarded-For": FORGED },
];

describe("the client address behind Caddy", () => {
  it("an allow-list naming a forged address refuses the client, whatever it sends", async () => {
    for (const headers of forgeries) {
      const r = await send("/forged", headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
    }
  });

  it("an allow-list naming the client's real address lets it through, forged headers or not", async () => {
    for (const headers of [{}, ...forgeries]) {
      expect((await send("/client", headers)).status, JSON.stringify(headers)).toBe(200);
    }
  });

  it("the upstream sees Caddy's view in X-Real-IP", async () => {
    const r = await send("/api/who", { "X-Real-IP": FORGED, "X-Forwarded-For": FORGED });
    const seen = JSON.parse(r.body) as { headers: Record<string, string> };
    expect(seen.headers["x-real-ip"]).toBe(CLIENT);
  });

  it("rate-limiting by ip counts the real address: forging new addresses gains nothing", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await send("/limited", { "X-Real-IP": `198.51.100.${i}`, "X-Forwarded-For": `198.51.100.${i}` }))
          .status,
      );
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
  });

  it("the gateway's access log names the real client", async () => {
    await send("/api/logged", { "X-Forwarded-For": FORGED });
    await new Promise((r) => setTimeout(r, 100));
    const line = accessLines
      .split("\n")
      .filter((l) => l.includes("/api/logged"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)[0];
    expect(line).toBeDefined();
    expect(JSON.stringify(line)).toContain(CLIENT);
    expect(JSON.stringify(line)).not.toContain(FORGED);
  });
});

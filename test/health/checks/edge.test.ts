import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { edgeChecks } from "../../../src/health/checks/edge.js";
import type { ContainerFacts } from "../../../src/health/facts.js";
import { InContainerHttp } from "../../../src/health/probe/in-container.js";
import type { HealthTargets } from "../../../src/health/targets.js";
import { localExec } from "../support/local-exec.js";
import { fact } from "../support/local-stack.js";
import {
  type FaultServer,
  generateTestCerts,
  refusedPort,
  startFaultServer,
  startTlsFaultServer,
  type TestCerts,
} from "../support/servers.js";

/**
 * Edge checks against real local servers standing in for Caddy: an HTTP port that redirects
 * to HTTPS, an HTTPS port with certificates made at test time, and Caddy's admin API
 * (/reverse_proxy/upstreams, /pki/ca/local) reached "inside the caddy container" (localExec).
 */
describe("edge checks", () => {
  let certs: TestCerts;
  let http: FaultServer;
  let admin: Server;
  let adminPort: number;
  let upstreams: unknown = [];
  /** Port the HTTP side redirects to (Caddy: the HTTPS port it believes it serves). */
  let redirectPort: number | null = null;

  beforeAll(async () => {
    certs = generateTestCerts();
    http = await startFaultServer((req, res) => {
      res.writeHead(308, {
        location: `https://localhost${redirectPort ? `:${redirectPort}` : ""}${req.url}`,
      });
      res.end();
    });
    admin = createServer((req, res) => {
      const body =
        req.url === "/reverse_proxy/upstreams"
          ? upstreams
          : req.url === "/pki/ca/local"
            ? { id: "local", root_certificate: certs.ca.cert }
            : { error: "not found" };
      res.writeHead(req.url === "/reverse_proxy/upstreams" || req.url === "/pki/ca/local" ? 200 : 404, {
        "content-type": "application/json",
      });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => admin.listen(0, "127.0.0.1", resolve));
    adminPort = (admin.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await http.close();
    await new Promise((resolve) => admin.close(resolve));
    certs.cleanup();
  });

  function targets(httpsPort: number, over: Partial<HealthTargets> = {}): HealthTargets {
    return {
      project: "shop",
      domain: "localhost",
      https: true,
      certTrust: "internal",
      dialHost: "127.0.0.1",
      httpPort: http.port,
      httpsPort,
      publicBase: `https://127.0.0.1:${httpsPort}`,
      hostHeader: `localhost:${httpsPort}`,
      tlsSites: ["localhost"],
      caddyAdmin: `http://127.0.0.1:${adminPort}`,
      gateway: { engine: "gatestack", replicas: 2, adminToken: "x", statusUrl: "", adminUrl: "" },
      redis: false,
      gatewayConfig: null,
      services: [],
      addons: [],
      ...over,
    };
  }

  const gateways = (second: Partial<ContainerFacts> = {}): ContainerFacts[] => [
    fact("caddy", 1),
    fact("gateway", 1),
    fact("gateway", 2, second),
  ];

  async function run(
    site: keyof TestCerts,
    t: (port: number) => HealthTargets,
    facts = gateways(),
    opts: { redirectTo?: number | null } = {},
  ) {
    const server = await startTlsFaultServer(certs[site] as { key: string; cert: string });
    redirectPort = opts.redirectTo === undefined ? server.port : opts.redirectTo;
    try {
      return await edgeChecks({
        targets: t(server.port),
        facts,
        timeoutMs: 1500,
        inContainer: new InContainerHttp(localExec, "curl"),
        readLogs: async () => [],
        now: new Date(),
      });
    } finally {
      await server.close();
    }
  }

  it("healthy: HTTP redirects to HTTPS, HTTPS answers, the certificate verifies against Caddy's root, both replicas listed", async () => {
    upstreams = [
      { address: "shop-gateway-1:8000", num_requests: 0, fails: 0 },
      { address: "shop-gateway-2:8000", num_requests: 1, fails: 0 },
    ];
    const edge = await run("leaf", (p) => targets(p));
    expect(edge.checks.map((c) => [c.name, c.status])).toEqual([
      [`HTTP :${http.port}`, "ok"],
      [expect.stringMatching(/^HTTPS :\d+$/), "ok"],
      ["certificate localhost", "ok"],
      ["caddy → gateway upstreams", "ok"],
    ]);
    expect(edge.checks[0]!.detail).toMatch(/^308 Permanent Redirect → https:\/\/localhost:\d+\//);
    expect(edge.checks[2]!.detail).toMatch(
      /^issuer Test Local Authority, expires in (19|20) days \(Caddy's local CA\)$/,
    );
    expect(edge.checks[3]!.detail).toBe("2 upstreams: shop-gateway-1:8000, shop-gateway-2:8000");
    expect(edge.serves).toBe(true);
  });

  it("an HTTP redirect to another port than the published HTTPS one is a warning", async () => {
    const edge = await run("leaf", (p) => targets(p), gateways(), { redirectTo: null });
    const http0 = edge.checks[0]!;
    expect(http0.status).toBe("warn");
    expect(http0.reason).toMatch(
      /^HTTP redirects to port 443, but HTTPS is published on \d+: browsers following it find nothing$/,
    );
  });

  it("expired certificate: fail with the date; the site still answers", async () => {
    const edge = await run("expired", (p) => targets(p));
    const cert = edge.checks.find((c) => c.name === "certificate localhost")!;
    expect(cert.status).toBe("fail");
    expect(cert.reason).toMatch(/^certificate for localhost expired on /);
    expect(edge.serves).toBe(true);
  });

  it("wrong host and self-signed certificates are reported", async () => {
    const wrong = await run("wrongHost", (p) => targets(p));
    expect(wrong.checks.find((c) => c.name === "certificate localhost")).toMatchObject({
      status: "fail",
      reason: "certificate does not name localhost (it names other.example)",
    });
    const self = await run("selfSigned", (p) => targets(p, { certTrust: "public" }));
    expect(self.checks.find((c) => c.name === "certificate localhost")).toMatchObject({
      status: "fail",
      reason: expect.stringContaining("not publicly trusted (DEPTH_ZERO_SELF_SIGNED_CERT)"),
    });
  });

  it("a stopped gateway replica still listed by Caddy is a warning; all stopped is a failure", async () => {
    upstreams = [
      { address: "shop-gateway-1:8000", fails: 0 },
      { address: "shop-gateway-2:8000", fails: 3 },
    ];
    const one = await run(
      "leaf",
      (p) => targets(p),
      gateways({ running: false, state: "exited", exitCode: 137 }),
    );
    expect(one.checks.find((c) => c.name === "caddy → gateway upstreams")).toMatchObject({
      status: "warn",
      reason: "gateway-2 is not running",
    });
    const both = await run("leaf", (p) => targets(p), [
      fact("caddy", 1),
      fact("gateway", 1, { running: false, state: "exited" }),
      fact("gateway", 2, { running: false, state: "exited" }),
    ]);
    expect(both.checks.find((c) => c.name === "caddy → gateway upstreams")?.status).toBe("fail");
  });

  it("nothing listens on the published HTTPS port: the edge proves the chain does not serve", async () => {
    const port = await refusedPort();
    const edge = await edgeChecks({
      targets: targets(port),
      facts: gateways(),
      timeoutMs: 1000,
      inContainer: new InContainerHttp(localExec, "curl"),
      readLogs: async () => [],
      now: new Date(),
    });
    expect(edge.checks.find((c) => c.name === `HTTPS :${port}`)).toMatchObject({
      status: "fail",
      reason: `client → caddy: connection refused on 127.0.0.1:${port}`,
    });
    expect(edge.serves).toBe(false);
  });

  it("a slow site is cut at the timeout", async () => {
    const slow = await startTlsFaultServer(certs.leaf, (_req, res) => {
      setTimeout(() => res.end("late"), 3000).unref();
    });
    try {
      const started = Date.now();
      const edge = await edgeChecks({
        targets: targets(slow.port),
        facts: gateways(),
        timeoutMs: 400,
        inContainer: new InContainerHttp(localExec, "curl"),
        readLogs: async () => [],
        now: new Date(),
      });
      expect(Date.now() - started).toBeLessThan(2500);
      expect(edge.checks.find((c) => c.name === `HTTPS :${slow.port}`)).toMatchObject({
        status: "fail",
        reason: expect.stringContaining("no answer from 127.0.0.1"),
      });
    } finally {
      await slow.close();
    }
  });
});

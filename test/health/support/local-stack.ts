import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { PassThrough } from "node:stream";
import type { Gateway } from "../../../src/gateway/server.js";
import type { ProbeContext } from "../../../src/health/checks/context.js";
import type { ContainerFacts } from "../../../src/health/facts.js";
import { InContainerHttp } from "../../../src/health/probe/in-container.js";
import { gatewayConfigFacts, type HealthTargets } from "../../../src/health/targets.js";
import { startTestGateway } from "../../support/gateway.js";
import { localExec } from "./local-exec.js";

/**
 * A stack made of real local processes for the check tests: the real gateway (proxy, status
 * and token-protected Admin API on 127.0.0.1) in front of a small FastAPI-like app (GET /health,
 * X-Request-ID echoed). Probes that run "in a container" run on this host (localExec), so the
 * container names in the facts are 127.0.0.1 and the ports are the local ones.
 */

export interface FakeApp {
  port: number;
  /** Status /health answers with (default 200). */
  healthStatus: number;
  requestIds: string[];
  close(): Promise<void>;
  /** Listen again on the same port after close(). */
  reopen(): Promise<void>;
}

export async function startFakeApp(port = 0): Promise<FakeApp> {
  const app: FakeApp = {
    port,
    healthStatus: 200,
    requestIds: [],
    close: async () => undefined,
    reopen: async () => undefined,
  };
  let server: Server;
  const sockets = new Set<Socket>();
  const listen = async (p: number): Promise<void> => {
    server = createServer((req, res) => {
      const rid = req.headers["x-request-id"];
      if (typeof rid === "string") app.requestIds.push(rid);
      const path = (req.url ?? "/").split("?")[0];
      const status = path === "/health" ? app.healthStatus : 404;
      const body = JSON.stringify(
        path === "/health" ? { status: status === 200 ? "ok" : "broken" } : { detail: "Not Found" },
      );
      res.writeHead(status, {
        "content-type": "application/json",
        ...(typeof rid === "string" ? { "x-request-id": rid } : {}),
      });
      res.end(body);
    });
    server.on("connection", (s: Socket) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(p, "127.0.0.1", resolve));
    app.port = (server.address() as AddressInfo).port;
  };
  await listen(port);
  app.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  app.reopen = () => listen(app.port);
  return app;
}

export const ADMIN_TOKEN = "test-admin-token-0123456789";

export function gatewayDoc(appPort: number, opts: { withRoute?: boolean } = {}): string {
  const routes =
    opts.withRoute === false
      ? "[]"
      : `\n      - name: users\n        paths: [/api/users]\n        strip_path: true`;
  return `_format_version: "3.0"
services:
  - name: users
    host: users.upstream
    port: ${appPort}
    protocol: http
    routes: ${routes}
upstreams:
  - name: users.upstream
    targets:
      - target: 127.0.0.1:${appPort}
`;
}

export interface LocalStack {
  app: FakeApp;
  gateway: Gateway;
  accessLog: string[];
  /** The gateway.yaml text the gateway was started with (the "rendered file"). */
  renderedText: string;
  close(): Promise<void>;
}

export async function startLocalStack(opts: { adminToken?: string } = {}): Promise<LocalStack> {
  const app = await startFakeApp();
  const renderedText = gatewayDoc(app.port);
  const accessLog: string[] = [];
  const logStream = new PassThrough();
  logStream.on("data", (c: Buffer) => accessLog.push(...c.toString().split("\n").filter(Boolean)));
  const gateway = await startTestGateway(renderedText, {
    adminToken: opts.adminToken ?? ADMIN_TOKEN,
    accessLog: logStream,
  });
  return {
    app,
    gateway,
    accessLog,
    renderedText,
    close: async () => {
      await gateway.close();
      await app.close();
    },
  };
}

export function fact(service: string, number: number, over: Partial<ContainerFacts> = {}): ContainerFacts {
  return {
    id: `${service}-${number}-id`,
    name: `shop-${service}-${number}`,
    service,
    number,
    state: "running",
    running: true,
    health: "healthy",
    restartCount: 0,
    oomKilled: false,
    exitCode: 0,
    startedAt: new Date(Date.now() - 3_600_000),
    finishedAt: null,
    networks:
      service === "caddy"
        ? { edge: "10.0.0.2" }
        : service === "gateway"
          ? { edge: "10.0.0.3", backend: "10.0.1.3" }
          : { backend: "10.0.1.9" },
    image: `${service}:latest`,
    ...over,
  };
}

/** Targets for a local stack: the "public" side is the gateway's proxy port (no Caddy in between). */
export function localTargets(stack: LocalStack, over: Partial<HealthTargets> = {}): HealthTargets {
  const proxy = new URL(stack.gateway.proxyUrl);
  return {
    project: "shop",
    domain: "localhost",
    https: false,
    certTrust: "internal",
    dialHost: "127.0.0.1",
    httpPort: Number(proxy.port),
    httpsPort: 0,
    publicBase: `http://127.0.0.1:${proxy.port}`,
    hostHeader: "localhost",
    tlsSites: [],
    caddyAdmin: null,
    gateway: {
      engine: "gatestack",
      replicas: 1,
      adminToken: ADMIN_TOKEN,
      statusUrl: stack.gateway.statusUrl!,
      adminUrl: stack.gateway.adminUrl!,
    },
    redis: false,
    gatewayConfig: gatewayConfigFacts(stack.renderedText),
    services: [
      {
        name: "users",
        port: stack.app.port,
        replicas: 1,
        healthPath: "/health",
        upstream: "users.upstream",
        chain: { route: "users", path: "/api/users/health", headers: { host: "localhost" } },
      },
    ],
    addons: [],
    ...over,
  };
}

/** Facts where the app replica's "container name" is 127.0.0.1 so direct probes reach the local app. */
export function localFacts(
  over: { users?: Partial<ContainerFacts>; gateway?: Partial<ContainerFacts> } = {},
): ContainerFacts[] {
  return [
    fact("caddy", 1),
    fact("gateway", 1, over.gateway),
    fact("users", 1, { name: "127.0.0.1", ...over.users }),
  ];
}

export function localContext(
  stack: LocalStack,
  targets: HealthTargets,
  facts: ContainerFacts[],
): ProbeContext {
  return {
    targets,
    facts,
    timeoutMs: 1500,
    inContainer: new InContainerHttp(localExec, "node"),
    readLogs: async () => [...stack.accessLog],
    now: new Date(),
  };
}

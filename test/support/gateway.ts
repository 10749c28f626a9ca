/**
 * Test support for everything that runs through the gateway: a real gateway on random
 * loopback ports and real upstream HTTP servers that echo what they received.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { jsonLogger, silentLogger } from "../../src/gateway/logger.js";
import { type Gateway, type GatewayOptions, startGateway } from "../../src/gateway/server.js";
import type { Cleanups } from "./cleanups.js";

const LOOPBACK = { host: "127.0.0.1", port: 0 };

/**
 * Start a gateway serving `doc` (a declarative document object or YAML/JSON text) with the
 * proxy, admin and status listeners on 127.0.0.1:0 and the access log off. The process log
 * is silent unless GATEWAY_TEST_LOG=1. `extraOpts` override anything.
 */
export async function startTestGateway(
  doc?: object | string,
  extraOpts: Partial<GatewayOptions> = {},
): Promise<Gateway> {
  return startGateway({
    config: doc === undefined ? undefined : typeof doc === "string" ? { text: doc } : doc,
    proxyListen: LOOPBACK,
    adminListen: LOOPBACK,
    statusListen: LOOPBACK,
    accessLog: false,
    logger: process.env.GATEWAY_TEST_LOG ? jsonLogger(process.stderr) : silentLogger,
    ...extraOpts,
  });
}

/** `startTestGateway` whose gateways are closed by `cleanups` after each test. */
export function testGatewaysClosedBy(cleanups: Cleanups): (doc: object) => Promise<Gateway> {
  return async (doc) => {
    const gw = await startTestGateway(doc);
    cleanups.push(() => gw.close());
    return gw;
  };
}

export interface CapturedRequest {
  method: string;
  /** path without the query string */
  path: string;
  /** request target as received (path + query) */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface EchoUpstreamOptions {
  host?: string;
  /** status of the echo answer (default 200) */
  status?: number;
  /** extra response headers */
  headers?: Record<string, string | string[]>;
  /**
   * Take over a request: return true when it answered `res` itself (after the body was read).
   * Captured requests are recorded before it runs.
   */
  handler?: (
    req: IncomingMessage,
    res: ServerResponse,
    body: string,
  ) => boolean | undefined | Promise<boolean | undefined>;
}

export interface EchoUpstream {
  url: string;
  port: number;
  host: string;
  requests: CapturedRequest[];
  close(): Promise<void>;
}

/**
 * A real upstream on 127.0.0.1:0 answering every request with JSON
 * `{ method, path, url, headers, body }` (what the gateway sent it).
 */
export async function startEchoUpstream(opts: EchoUpstreamOptions = {}): Promise<EchoUpstream> {
  const requests: CapturedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      const captured: CapturedRequest = {
        method: req.method ?? "GET",
        path: q < 0 ? url : url.slice(0, q),
        url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(captured);
      void (async () => {
        if (opts.handler && (await opts.handler(req, res, captured.body))) return;
        const text = JSON.stringify(captured);
        res.writeHead(opts.status ?? 200, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(text),
          ...opts.headers,
        });
        res.end(text);
      })().catch((err: unknown) => {
        res.destroy(err as Error);
      });
    });
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    host,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** body parsed as JSON when it is JSON, else undefined */
  json: unknown;
}

/**
 * One request with full control of the headers (Host, Connection, TE, Via… which fetch
 * refuses to send), on a fresh connection.
 */
export function rawRequest(
  baseUrl: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(baseUrl);
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        method: opts.method ?? "GET",
        path,
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** An EchoUpstream handler answering every request with a fixed text (tells upstreams apart). */
export function replyWith(text: string, status = 200): NonNullable<EchoUpstreamOptions["handler"]> {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(text);
    return true;
  };
}

/** Poll `check` until it holds (every 25 ms); throws after `timeoutMs`. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

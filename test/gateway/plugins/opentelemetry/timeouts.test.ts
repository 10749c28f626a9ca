/**
 * The exporter's timeouts (Kong's connect_timeout / send_timeout / read_timeout of the
 * opentelemetry plugin) and its batching through the queue, against real servers on loopback:
 * an OTLP receiver (otlp-receiver.ts), a TCP server that accepts and never reads (the request
 * cannot be sent), and an HTTP server that reads the request and never answers. A large
 * resource attribute makes each export request larger than what the loopback socket buffers
 * take from a connection whose peer does not read (about 3.75 MB here).
 */
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayLogger } from "../../../../src/gateway/plugins/types.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../../support/gateway.js";
import { waitFor } from "../_receivers.js";
import { type OtlpReceiver, startOtlpReceiver } from "./otlp-receiver.js";

let upstream: EchoUpstream;

beforeAll(async () => {
  upstream = await startEchoUpstream();
});

afterAll(async () => {
  await upstream.close();
});

interface Captured extends GatewayLogger {
  warnings: string[];
}

function capturingLogger(): Captured {
  const warnings: string[] = [];
  return {
    warnings,
    info() {},
    warn(msg) {
      warnings.push(msg);
    },
    error(msg) {
      warnings.push(msg);
    },
  };
}

function doc(endpoint: string, config: Record<string, unknown>) {
  return {
    _format_version: "3.0",
    services: [
      {
        name: "svc",
        url: upstream.url,
        routes: [
          {
            name: "traced",
            paths: ["/traced"],
            plugins: [{ name: "opentelemetry", config: { traces_endpoint: endpoint, ...config } }],
          },
        ],
      },
    ],
  };
}

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as { port: number }).port;
}

/** A single retry long after the test: what the first attempt did is what the test sees. */
const ONE_ATTEMPT = { max_coalescing_delay: 0.01, initial_retry_delay: 600, max_retry_time: 600 };

describe("opentelemetry exporter timeouts", () => {
  it("send_timeout: a receiver that stops reading fails the export once the connection takes nothing more", async () => {
    const sockets: Socket[] = [];
    let closedByGateway = 0;
    const stalled = createServer((socket) => {
      socket.pause(); // never read: the request cannot be sent in full
      sockets.push(socket);
      socket.on("close", () => closedByGateway++);
      socket.on("error", () => {});
    });
    const port = await listen(stalled);
    const logger = capturingLogger();
    const gw = await startTestGateway(
      doc(`http://127.0.0.1:${port}/v1/traces`, {
        send_timeout: 300,
        read_timeout: 60_000,
        resource_attributes: { padding: "x".repeat(6 * 1024 * 1024) },
        queue: ONE_ATTEMPT,
      }),
      { logger },
    );
    try {
      const t0 = performance.now();
      expect((await fetch(`${gw.proxyUrl}/traced`)).status).toBe(200);
      const warning = await waitFor(
        () => logger.warnings.find((w) => w.includes("could not process entries")),
        10_000,
      );
      const elapsed = performance.now() - t0;
      expect(warning).toContain(`failed to send spans to 127.0.0.1:${port}`);
      expect(warning).toContain("send_timeout 300 ms");
      expect(elapsed).toBeGreaterThanOrEqual(300);
      expect(elapsed).toBeLessThan(10_000);
      // the gateway gave the connection up: reading what it holds, the receiver finds it closed
      for (const s of sockets) s.resume();
      await waitFor(() => closedByGateway >= 1);
    } finally {
      await gw.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => stalled.close(r));
    }
  }, 60_000); // loading a 6 MB configuration takes seconds on a busy machine

  it("send_timeout does not cut exports that the receiver takes, however large", async () => {
    const receiver: OtlpReceiver = await startOtlpReceiver();
    const logger = capturingLogger();
    const gw = await startTestGateway(
      doc(`${receiver.url}/v1/traces`, {
        send_timeout: 50,
        resource_attributes: { padding: "y".repeat(2 * 1024 * 1024) },
        queue: ONE_ATTEMPT,
      }),
      { logger },
    );
    try {
      for (let i = 0; i < 3; i++) {
        expect((await fetch(`${gw.proxyUrl}/traced`)).status).toBe(200);
        await waitFor(() => receiver.requests.length >= i + 1, 10_000);
      }
      await new Promise((r) => setTimeout(r, 200)); // past any send timer that was left armed
      expect(receiver.requests).toHaveLength(3);
      expect(receiver.spans()[0]!.resource.padding).toHaveLength(2 * 1024 * 1024);
      expect(logger.warnings).toEqual([]);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("read_timeout: a receiver that takes the request and never answers fails the export", async () => {
    const silent = createHttpServer((req) => req.resume()); // reads everything, answers nothing
    const port = await listen(silent);
    const logger = capturingLogger();
    const gw = await startTestGateway(
      doc(`http://127.0.0.1:${port}/v1/traces`, { read_timeout: 300, queue: ONE_ATTEMPT }),
      { logger },
    );
    try {
      const t0 = performance.now();
      await (await fetch(`${gw.proxyUrl}/traced`)).text();
      const warning = await waitFor(
        () => logger.warnings.find((w) => w.includes("could not process entries")),
        10_000,
      );
      expect(warning).toContain(`failed to send spans to 127.0.0.1:${port}`);
      expect(warning).toMatch(/timeout/i);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
    } finally {
      await gw.close();
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it("a refused connection fails the export with the connect error (connect_timeout bounds the connect), and the retry delivers", async () => {
    // a port nobody listens on, then a receiver on it: the retry delivers what the first attempt could not
    const probe = createServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r));
    const logger = capturingLogger();
    const gw = await startTestGateway(
      doc(`http://127.0.0.1:${port}/v1/traces`, {
        connect_timeout: 200,
        queue: { max_coalescing_delay: 0.01, initial_retry_delay: 0.5, max_retry_time: 30 },
      }),
      { logger },
    );
    let receiver: ReturnType<typeof createHttpServer> | null = null;
    try {
      await (await fetch(`${gw.proxyUrl}/traced`)).text();
      const warning = await waitFor(
        () => logger.warnings.find((w) => w.includes("could not process entries")),
        10_000,
      );
      expect(warning).toContain(`failed to send spans to 127.0.0.1:${port}`);
      expect(warning).toMatch(/ECONNREFUSED/);
      const bodies: number[] = [];
      receiver = createHttpServer((req, res) => {
        let size = 0;
        req.on("data", (c: Buffer) => {
          size += c.length;
        });
        req.on("end", () => {
          bodies.push(size);
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((r) => receiver!.listen(port, "127.0.0.1", r));
      await waitFor(() => bodies.length >= 1, 10_000);
      expect(bodies[0]).toBeGreaterThan(0);
    } finally {
      await gw.close();
      if (receiver !== null) {
        receiver.closeAllConnections();
        await new Promise((r) => receiver!.close(r));
      }
    }
  });

  it("queue.max_batch_size counts spans: a trace split across export requests arrives whole, the request span first", async () => {
    const receiver = await startOtlpReceiver();
    const gw = await startTestGateway(
      doc(`${receiver.url}/v1/traces`, { queue: { max_batch_size: 2, max_coalescing_delay: 0.01 } }),
    );
    try {
      await (await fetch(`${gw.proxyUrl}/traced`)).text();
      // kong, kong.balancer, kong.access.plugin.opentelemetry: 3 spans in batches of 2
      await waitFor(() => receiver.spans().length >= 3, 10_000);
      expect(receiver.requests.map((r) => r.spans.length)).toEqual([2, 1]);
      const spans = receiver.spans();
      expect(spans.map((s) => s.name)).toEqual(["kong", "kong.balancer", "kong.access.plugin.opentelemetry"]);
      expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
      const root = spans[0]!;
      expect(spans[1]!.parentSpanId).toBe(root.spanId);
      expect(spans[2]!.parentSpanId).toBe(root.spanId);
      expect(root.attributes["http.url"]).toBe(`http://${new URL(gw.proxyUrl).host}/traced`);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });
});

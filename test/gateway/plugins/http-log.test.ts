/**
 * http-log through the running gateway, delivering to a real HTTP log receiver (Kong's
 * spec/03-plugins/03-http-log re-expressed): payload shape, method/headers/basic auth,
 * batching, retries against a failing-then-recovering receiver, bounded queue, and a
 * slow receiver never slowing proxied requests.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { type PluginRoute, postPluginConfig, routesWithPlugin } from "./_plugin-config.js";

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

interface Receiver {
  url: string;
  received: Received[];
  /** decide the answer of each delivery (default 200) */
  respond: (n: number, res: ServerResponse) => void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let n = 0;
  const receiver: Receiver = {
    url: "",
    received,
    respond: (_n, res) => res.writeHead(200).end("ok"),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      n++;
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      receiver.respond(n, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

async function waitFor<T>(what: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = what();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every log entry received so far (batches flattened). */
function entries(r: Receiver): LogEntry[] {
  return r.received.flatMap((d) => (Array.isArray(d.body) ? d.body : [d.body])) as LogEntry[];
}

/** The fields of Kong's log payload these tests look at. */
interface LogEntry {
  request: { method: string; uri: string; size: number; querystring: Record<string, unknown> };
  response: { status: number; size: number };
  route: { name: string; paths: string[] };
  service: { name: string };
  consumer: { id: string; username: string };
  authenticated_entity: { consumer_id: string };
  client_ip: string;
  upstream_uri: string;
  upstream_status?: string;
  source: string;
  started_at: number;
  latencies: Record<string, number>;
  tries: unknown[];
}

let upstream: EchoUpstream;

beforeAll(async () => {
  upstream = await startEchoUpstream();
});

afterAll(async () => {
  await upstream.close();
});

const docWith = (routes: PluginRoute[]) =>
  routesWithPlugin(upstream.url, "http-log", routes, {
    consumers: [{ username: "bob", keyauth_credentials: [{ key: "bob-secret" }] }],
  });

describe("http-log", () => {
  it("POSTs Kong's log payload as JSON for each request", async () => {
    const receiver = await startReceiver();
    const gw = await startTestGateway(
      docWith([
        {
          path: "/logged",
          config: { http_endpoint: `${receiver.url}/ingest?x=1` },
          extra: [{ name: "key-auth" }],
        },
      ]),
    );
    try {
      const res = await fetch(`${gw.proxyUrl}/logged/thing?a=1`, { headers: { apikey: "bob-secret" } });
      expect(res.status).toBe(200);
      await res.text();
      const delivery = await waitFor(() => receiver.received[0]);
      expect(delivery.method).toBe("POST");
      expect(delivery.url).toBe("/ingest?x=1");
      expect(delivery.headers["content-type"]).toBe("application/json");
      const entry = delivery.body as LogEntry;
      expect(entry.request.method).toBe("GET");
      expect(entry.request.uri).toBe("/logged/thing?a=1");
      expect(entry.request.querystring).toEqual({ a: "1" });
      expect(entry.request.size).toBeGreaterThan(0);
      expect(entry.response.status).toBe(200);
      expect(entry.response.size).toBeGreaterThan(0);
      expect(entry.route.name).toBe("r-logged");
      expect(entry.route.paths).toEqual(["/logged"]);
      expect(entry.service.name).toBe("svc");
      expect(entry.consumer.username).toBe("bob");
      expect(entry.authenticated_entity.consumer_id).toBe(entry.consumer.id);
      expect(entry.client_ip).toBe("127.0.0.1");
      expect(entry.upstream_uri).toBe("/thing?a=1");
      expect(entry.upstream_status).toBe("200");
      expect(entry.source).toBe("upstream");
      expect(typeof entry.started_at).toBe("number");
      expect(Object.keys(entry.latencies).sort()).toEqual(["kong", "proxy", "receive", "request"]);
      expect(entry.tries).toHaveLength(1);
      // credentials never reach the log receiver
      expect(JSON.stringify(entry)).not.toContain("bob-secret");
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("uses the configured method and headers, and Basic auth from the URL's user info", async () => {
    const receiver = await startReceiver();
    const endpoint = receiver.url.replace("http://", "http://logger:s3cret@");
    const gw = await startTestGateway(
      docWith([
        {
          path: "/put",
          config: { http_endpoint: endpoint, method: "PUT", headers: { "X-Tenant": "acme" } },
        },
      ]),
    );
    try {
      await (await fetch(`${gw.proxyUrl}/put`)).text();
      const d = await waitFor(() => receiver.received[0]);
      expect(d.method).toBe("PUT");
      expect(d.headers["x-tenant"]).toBe("acme");
      expect(d.headers.authorization).toBe(`Basic ${Buffer.from("logger:s3cret").toString("base64")}`);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("logs requests a plugin answered (source kong, no upstream latency)", async () => {
    const receiver = await startReceiver();
    const gw = await startTestGateway(
      docWith([{ path: "/denied", config: { http_endpoint: receiver.url }, extra: [{ name: "key-auth" }] }]),
    );
    try {
      expect((await fetch(`${gw.proxyUrl}/denied`)).status).toBe(401);
      const entry = (await waitFor(() => receiver.received[0])).body as LogEntry;
      expect(entry.response.status).toBe(401);
      expect(entry.source).toBe("kong");
      expect(entry.latencies.proxy).toBe(-1);
      expect(entry.upstream_status).toBeUndefined();
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("batches entries into a JSON array (queue.max_batch_size, and the legacy queue_size)", async () => {
    const receiver = await startReceiver();
    const gw = await startTestGateway(
      docWith([
        {
          path: "/batched",
          config: { http_endpoint: receiver.url, queue: { max_batch_size: 5, max_coalescing_delay: 0.3 } },
        },
        {
          path: "/legacy",
          config: { http_endpoint: `${receiver.url}/legacy`, queue_size: 3, flush_timeout: 0.2 },
        },
      ]),
    );
    try {
      await Promise.all(
        Array.from({ length: 7 }, () => fetch(`${gw.proxyUrl}/batched`).then((r) => r.text())),
      );
      await waitFor(() => entries(receiver).length === 7);
      const batches = receiver.received.map((d) => d.body);
      expect(batches.every(Array.isArray)).toBe(true);
      expect(batches.map((b) => (b as unknown[]).length).sort()).toEqual([2, 5]);

      await Promise.all(
        Array.from({ length: 3 }, () => fetch(`${gw.proxyUrl}/legacy`).then((r) => r.text())),
      );
      const legacy = await waitFor(() => receiver.received.find((d) => d.url === "/legacy"));
      expect(Array.isArray(legacy.body)).toBe(true);
      expect((legacy.body as unknown[]).length).toBe(3);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("retries with backoff until a failing receiver recovers, losing nothing", async () => {
    const receiver = await startReceiver();
    receiver.respond = (n, res) => (n <= 3 ? res.writeHead(500).end("down") : res.writeHead(201).end("ok"));
    const gw = await startTestGateway(
      docWith([
        {
          path: "/retry",
          config: { http_endpoint: receiver.url, queue: { initial_retry_delay: 0.05, max_retry_delay: 0.2 } },
        },
      ]),
    );
    try {
      for (let i = 0; i < 3; i++) await (await fetch(`${gw.proxyUrl}/retry?i=${i}`)).text();
      const ok = await waitFor(() => receiver.received.length >= 6 && receiver.received);
      // 3 failed deliveries of the first entry, then each entry once, in order
      const uris = ok.slice(3).map((d) => (d.body as LogEntry).request.uri);
      expect(uris).toEqual(["/retry?i=0", "/retry?i=1", "/retry?i=2"]);
      expect(ok.slice(0, 3).every((d) => (d.body as LogEntry).request.uri === "/retry?i=0")).toBe(true);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("drops the oldest waiting entries when the queue is full (max_entries)", async () => {
    const receiver = await startReceiver();
    const held: ServerResponse[] = [];
    receiver.respond = (n, res) => (n === 1 ? held.push(res) : res.writeHead(200).end("ok"));
    const gw = await startTestGateway(
      docWith([{ path: "/bounded", config: { http_endpoint: receiver.url, queue: { max_entries: 3 } } }]),
    );
    try {
      await (await fetch(`${gw.proxyUrl}/bounded?i=0`)).text();
      await waitFor(() => held.length === 1); // first delivery in flight, receiver holds it
      for (let i = 1; i <= 8; i++) await (await fetch(`${gw.proxyUrl}/bounded?i=${i}`)).text();
      held[0]!.writeHead(200).end("ok");
      await waitFor(() => receiver.received.length === 4);
      await new Promise((r) => setTimeout(r, 100));
      const uris = entries(receiver).map((e) => e.request.uri);
      expect(uris).toEqual(["/bounded?i=0", "/bounded?i=6", "/bounded?i=7", "/bounded?i=8"]);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("never slows proxied requests, even when the receiver is slow", async () => {
    const receiver = await startReceiver();
    receiver.respond = (_n, res) => {
      setTimeout(() => res.writeHead(200).end("ok"), 1000);
    };
    const gw = await startTestGateway(docWith([{ path: "/fast", config: { http_endpoint: receiver.url } }]));
    try {
      const started = performance.now();
      for (let i = 0; i < 4; i++) expect((await fetch(`${gw.proxyUrl}/fast`)).status).toBe(200);
      // waiting for deliveries would take ≥ 4 s (one second per entry, one at a time)
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("keeps queued entries across a configuration reload", async () => {
    const receiver = await startReceiver();
    const held: ServerResponse[] = [];
    receiver.respond = (n, res) => (n === 1 ? held.push(res) : res.writeHead(200).end("ok"));
    const doc = docWith([{ path: "/reload", config: { http_endpoint: receiver.url } }]);
    const gw = await startTestGateway(doc);
    try {
      await (await fetch(`${gw.proxyUrl}/reload?i=0`)).text();
      await waitFor(() => held.length === 1); // delivery of entry 0 in flight
      await (await fetch(`${gw.proxyUrl}/reload?i=1`)).text(); // waits in the queue
      await gw.apply(doc);
      await (await fetch(`${gw.proxyUrl}/reload?i=2`)).text();
      held[0]!.writeHead(200).end("ok");
      await waitFor(() => receiver.received.length === 3);
      expect(entries(receiver).map((e) => e.request.uri)).toEqual([
        "/reload?i=0",
        "/reload?i=1",
        "/reload?i=2",
      ]);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("rejects invalid configs the way Kong does", async () => {
    const gw = await startTestGateway({ _format_version: "3.0" });
    try {
      const post = (config: Record<string, unknown>) => postPluginConfig(gw.adminUrl, "http-log", config);
      const missing = await post({});
      expect(missing.status).toBe(400);
      expect(missing.text).toContain("http_endpoint");
      const host = await post({ http_endpoint: "http://127.0.0.1:9/", headers: { Host: "x" } });
      expect(host.status).toBe(400);
      expect(host.text).toContain("cannot contain 'Host' header");
      const scheme = await post({ http_endpoint: "ftp://logs.example.com/" });
      expect(scheme.status).toBe(400);
      const ok = await post({
        http_endpoint: "http://127.0.0.1:9/",
        custom_fields_by_lua: { a: "return 1" },
      });
      expect(ok.status).toBe(201);
    } finally {
      await gw.close();
    }
  });
});

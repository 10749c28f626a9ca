/**
 * opentelemetry through the running gateway, exporting to a real OTLP/HTTP receiver on
 * loopback that decodes the protobuf (otlp-receiver.ts) — Kong's
 * spec/03-plugins/37-opentelemetry re-expressed: the spans of a request (request, balancer
 * attempt, plugin phases) with their parent/child links, trace ids and attributes; the
 * context propagated upstream in each format; sampling; batching and retries of the export;
 * the trace id in the access log, the log plugins' entries and a response header; Kong's
 * schema errors.
 */
import { createServer } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../../support/gateway.js";
import { postPluginConfig } from "../_plugin-config.js";
import { startLineReceiver, waitFor } from "../_receivers.js";
import { KIND, type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "./otlp-receiver.js";

let upstream: EchoUpstream;
let otlp: OtlpReceiver;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  otlp = await startOtlpReceiver();
});

afterAll(async () => {
  await upstream.close();
  await otlp.close();
});

const FAST_QUEUE = { max_coalescing_delay: 0.01 };

function doc(config: Record<string, unknown>, extra: object[] = [], url = upstream.url) {
  return {
    _format_version: "3.0",
    consumers: [{ username: "bob", keyauth_credentials: [{ key: "bob-secret" }] }],
    services: [
      {
        name: "svc",
        url,
        routes: [
          {
            name: "traced",
            paths: ["/traced"],
            plugins: [
              {
                name: "opentelemetry",
                config: { traces_endpoint: `${otlp.url}/v1/traces`, queue: FAST_QUEUE, ...config },
              },
              ...extra,
            ],
          },
        ],
      },
    ],
  };
}

/** The spans of one trace, once its request span arrived. */
async function traceOf(traceId: string): Promise<ReceivedSpan[]> {
  await waitFor(() => otlp.spans().some((s) => s.traceId === traceId && s.name === "kong"));
  return otlp.spans().filter((s) => s.traceId === traceId);
}

function traceparentOf(i: number): { traceId: string; spanId: string; flags: string } {
  const tp = String(upstream.requests[i]!.headers.traceparent);
  const [, traceId, spanId, flags] = tp.split("-");
  return { traceId: traceId!, spanId: spanId!, flags: flags! };
}

describe("opentelemetry", () => {
  it("exports the request, balancer and plugin-phase spans of a request, and injects traceparent upstream", async () => {
    const lines: string[] = [];
    const accessLog = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    const gw = await startTestGateway(
      doc({ resource_attributes: { "deployment.environment": "test" } }, [{ name: "key-auth" }]),
      { accessLog },
    );
    try {
      const before = upstream.requests.length;
      const res = await fetch(`${gw.proxyUrl}/traced/x?apikey=bob-secret`);
      expect(res.status).toBe(200);
      await res.text();
      const up = traceparentOf(before);
      expect(up.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(up.flags).toBe("01");
      const spans = await traceOf(up.traceId);
      const root = spans.find((s) => s.name === "kong")!;
      expect(root.kind).toBe(KIND.server);
      expect(root.parentSpanId).toBe("");
      expect(root.attributes).toMatchObject({
        "http.method": "GET",
        "http.status_code": 200,
        "http.route": "/traced",
        "http.scheme": "http",
        "http.client_ip": "127.0.0.1",
        "http.flavor": "1.1",
      });
      expect(String(root.attributes["http.url"])).toContain("/traced/x?apikey=");
      expect(JSON.stringify(spans, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(
        "bob-secret",
      );
      const balancer = spans.find((s) => s.name === "kong.balancer")!;
      expect(balancer.kind).toBe(KIND.client);
      expect(balancer.parentSpanId).toBe(root.spanId);
      // the upstream's parent is the balancer span
      expect(balancer.spanId).toBe(up.spanId);
      expect(balancer.attributes).toMatchObject({
        try_count: 1,
        "net.peer.ip": "127.0.0.1",
        "net.peer.port": upstream.port,
      });
      expect(balancer.attributes["http.status_code"]).toBe(200);
      const names = spans.map((s) => s.name);
      expect(names).toContain("kong.access.plugin.key-auth");
      expect(names).toContain("kong.access.plugin.opentelemetry");
      for (const s of spans.filter((x) => x.name.startsWith("kong.access.plugin."))) {
        expect(s.parentSpanId).toBe(root.spanId);
        expect(s.kind).toBe(KIND.internal);
        expect(s.start >= root.start && s.end <= root.end).toBe(true);
      }
      expect(root.start <= balancer.start && balancer.end <= root.end).toBe(true);
      expect(root.resource).toMatchObject({ "service.name": "kong", "deployment.environment": "test" });
      expect(typeof root.resource["service.instance.id"]).toBe("string");
      expect(root.scope.name).toBe("kong-internal");
      // the access log line carries the trace id: logs and traces join
      const line = await waitFor(() => lines.map((l) => JSON.parse(l)).find((l) => l.path === "/traced/x"));
      expect(line.trace_id).toBe(up.traceId);
    } finally {
      await gw.close();
    }
  });

  it("traces an answer the gateway gives itself (key-auth's 401) from the core's end of the exchange", async () => {
    const gw = await startTestGateway(doc({}, [{ name: "key-auth" }]));
    try {
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const res = await fetch(`${gw.proxyUrl}/traced/denied?apikey=not-a-key`, {
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      });
      expect(res.status).toBe(401);
      await res.text();
      const spans = await traceOf(traceId);
      const root = spans.find((s) => s.name === "kong")!;
      expect(root.attributes["http.status_code"]).toBe(401);
      // the URL is the log entry's: the credential in the query redacted
      expect(String(root.attributes["http.url"])).toContain("/traced/denied?apikey=");
      expect(String(root.attributes["http.url"])).not.toContain("not-a-key");
      expect(root.end >= root.start).toBe(true);
      // nothing was proxied: no balancer span
      expect(spans.some((s) => s.name === "kong.balancer")).toBe(false);
    } finally {
      await gw.close();
    }
  });

  it("continues an incoming W3C trace: same trace id, the caller's span as parent, tracestate passed on", async () => {
    const gw = await startTestGateway(doc({}));
    try {
      const traceId = "0af7651916cd43dd8448eb211c80319c";
      const before = upstream.requests.length;
      await (
        await fetch(`${gw.proxyUrl}/traced`, {
          headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01`, tracestate: "congo=t61rcWkgMzE" },
        })
      ).text();
      const up = traceparentOf(before);
      expect(up.traceId).toBe(traceId);
      expect(upstream.requests[before]!.headers.tracestate).toBe("congo=t61rcWkgMzE");
      const spans = await traceOf(traceId);
      const root = spans.find((s) => s.name === "kong")!;
      expect(root.parentSpanId).toBe("b7ad6b7169203331");
      expect(root.traceState).toBe("congo=t61rcWkgMzE");
    } finally {
      await gw.close();
    }
  });

  it("preserves the incoming format (b3, b3 single, jaeger, ot) and injects every configured one", async () => {
    const gw = await startTestGateway(doc({}));
    try {
      const trace16 = "a3ce929d0e0e4736";
      const trace32 = "463ac35c9f6413ad48485a3953bb6124";
      const span = "00f067aa0ba902b7";
      const cases: Array<{ headers: Record<string, string>; check: (h: Record<string, unknown>) => void }> = [
        {
          headers: { "x-b3-traceid": trace32, "x-b3-spanid": span, "x-b3-sampled": "1" },
          check: (h) => {
            expect(h["x-b3-traceid"]).toBe(trace32);
            expect(h["x-b3-spanid"]).not.toBe(span);
            expect(h["x-b3-parentspanid"]).toMatch(/^[0-9a-f]{16}$/);
            expect(h["x-b3-sampled"]).toBe("1");
          },
        },
        {
          headers: { b3: `${trace16}-${span}-1` },
          check: (h) => expect(String(h.b3)).toMatch(new RegExp(`^${trace16}-[0-9a-f]{16}-1-[0-9a-f]{16}$`)),
        },
        {
          headers: { "uber-trace-id": `${trace32}:${span}:0:1`, "uberctx-tenant": "acme" },
          check: (h) => {
            expect(String(h["uber-trace-id"])).toMatch(
              new RegExp(`^${trace32}:[0-9a-f]{16}:[0-9a-f]{16}:01$`),
            );
            expect(h["uberctx-tenant"]).toBe("acme");
          },
        },
        {
          headers: { "ot-tracer-traceid": trace16, "ot-tracer-spanid": span, "ot-tracer-sampled": "1" },
          check: (h) => {
            expect(h["ot-tracer-traceid"]).toBe(trace16);
            expect(h["ot-tracer-sampled"]).toBe("1");
            expect(h.traceparent).toBeUndefined();
          },
        },
      ];
      for (const c of cases) {
        const before = upstream.requests.length;
        await (await fetch(`${gw.proxyUrl}/traced`, { headers: c.headers })).text();
        c.check(upstream.requests[before]!.headers as Record<string, unknown>);
      }
      // a 64-bit id continues as the 128-bit trace id in the export
      await traceOf(trace16.padStart(32, "0"));
      await traceOf(trace32);

      await gw.apply(
        doc({ propagation: { extract: ["w3c"], inject: ["w3c", "b3", "b3-single", "jaeger", "ot"] } }),
      );
      const before = upstream.requests.length;
      await (await fetch(`${gw.proxyUrl}/traced`)).text();
      const h = upstream.requests[before]!.headers;
      const { traceId, spanId } = traceparentOf(before);
      expect(h["x-b3-traceid"]).toBe(traceId);
      expect(h["x-b3-spanid"]).toBe(spanId);
      expect(String(h.b3).startsWith(`${traceId}-${spanId}-1-`)).toBe(true);
      expect(String(h["uber-trace-id"]).startsWith(`${traceId}:${spanId}:`)).toBe(true);
      expect(h["ot-tracer-traceid"]).toBe(traceId);
    } finally {
      await gw.close();
    }
  });

  it("header_type ignore starts a new trace; propagation.clear removes headers upstream", async () => {
    const gw = await startTestGateway(doc({ header_type: "ignore" }));
    try {
      const incoming = "0af7651916cd43dd8448eb211c80319c";
      const before = upstream.requests.length;
      await (
        await fetch(`${gw.proxyUrl}/traced`, {
          headers: { traceparent: `00-${incoming}-b7ad6b7169203331-01` },
        })
      ).text();
      expect(traceparentOf(before).traceId).not.toBe(incoming);
      await gw.apply(
        doc({ propagation: { extract: ["b3"], clear: ["x-b3-traceid", "x-b3-spanid"], inject: ["w3c"] } }),
      );
      const next = upstream.requests.length;
      await (
        await fetch(`${gw.proxyUrl}/traced`, {
          headers: { "x-b3-traceid": incoming, "x-b3-spanid": "b7ad6b7169203331" },
        })
      ).text();
      const h = upstream.requests[next]!.headers;
      expect(h["x-b3-traceid"]).toBeUndefined();
      expect(h["x-b3-spanid"]).toBeUndefined();
      expect(traceparentOf(next).traceId).toBe(incoming);
    } finally {
      await gw.close();
    }
  });

  it("sampling_rate 0 exports nothing and injects sampled 00, unless the caller sampled the trace", async () => {
    const gw = await startTestGateway(doc({ sampling_rate: 0 }));
    try {
      const before = upstream.requests.length;
      await (await fetch(`${gw.proxyUrl}/traced`)).text();
      const unsampled = traceparentOf(before);
      expect(unsampled.flags).toBe("00");
      const parent = "11111111111111111111111111111111";
      await (
        await fetch(`${gw.proxyUrl}/traced`, { headers: { traceparent: `00-${parent}-2222222222222222-01` } })
      ).text();
      await traceOf(parent);
      expect(otlp.spans().some((s) => s.traceId === unsampled.traceId)).toBe(false);
    } finally {
      await gw.close();
    }
  });

  it("batches the spans of several requests into one OTLP request and retries a failing receiver", async () => {
    const receiver = await startOtlpReceiver();
    receiver.respond = (n, res) => (n === 1 ? res.writeHead(503).end("busy") : res.writeHead(200).end());
    const gw = await startTestGateway({
      _format_version: "3.0",
      services: [
        {
          name: "svc",
          url: upstream.url,
          routes: [
            {
              name: "batched",
              paths: ["/batched"],
              plugins: [
                {
                  name: "opentelemetry",
                  config: {
                    traces_endpoint: `${receiver.url}/v1/traces`,
                    headers: { authorization: "Bearer otel-token" },
                    queue: { max_coalescing_delay: 0.3, initial_retry_delay: 0.05 },
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    try {
      await Promise.all([1, 2, 3].map(() => fetch(`${gw.proxyUrl}/batched`).then((r) => r.text())));
      await waitFor(() => receiver.requests.length >= 1);
      const first = receiver.requests[0]!;
      expect(first.headers["content-type"]).toBe("application/x-protobuf");
      expect(first.headers.authorization).toBe("Bearer otel-token");
      expect(new Set(first.spans.filter((s) => s.name === "kong").map((s) => s.traceId)).size).toBe(3);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("records each upstream attempt: a failed one as an error span, the answering one injected", async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const deadPort = (dead.address() as { port: number }).port;
    await new Promise((r) => dead.close(r));
    const gw = await startTestGateway({
      _format_version: "3.0",
      upstreams: [
        {
          name: "pair",
          targets: [{ target: `127.0.0.1:${deadPort}` }, { target: `127.0.0.1:${upstream.port}` }],
        },
      ],
      services: [
        {
          name: "svc",
          host: "pair",
          retries: 2,
          routes: [
            {
              name: "retried",
              paths: ["/retried"],
              plugins: [
                {
                  name: "opentelemetry",
                  config: { traces_endpoint: `${otlp.url}/v1/traces`, queue: FAST_QUEUE },
                },
              ],
            },
          ],
        },
      ],
    });
    try {
      const seen: ReceivedSpan[][] = [];
      for (let i = 0; i < 2; i++) {
        const before = upstream.requests.length;
        expect((await fetch(`${gw.proxyUrl}/retried`)).status).toBe(200);
        seen.push(await traceOf(traceparentOf(before).traceId));
      }
      const retried = seen.find((spans) => spans.filter((s) => s.name === "kong.balancer").length === 2)!;
      expect(retried).toBeDefined();
      const [failed, answered] = retried
        .filter((s) => s.name === "kong.balancer")
        .sort((a, b) => Number(a.start - b.start));
      expect(failed!.status.code).toBe(2); // ERROR
      expect(failed!.attributes).toMatchObject({ try_count: 1, "net.peer.port": deadPort });
      expect(answered!.status.code).toBe(0);
      expect(answered!.attributes).toMatchObject({ try_count: 2, "net.peer.port": upstream.port });
    } finally {
      await gw.close();
    }
  });

  it("sends the trace id back in http_response_header_for_traceid and into the log plugins' entries", async () => {
    const tcp = await startLineReceiver();
    const gw = await startTestGateway(
      doc({ http_response_header_for_traceid: "X-Trace-Id" }, [
        { name: "tcp-log", config: { host: "127.0.0.1", port: tcp.port } },
      ]),
    );
    try {
      const res = await fetch(`${gw.proxyUrl}/traced`);
      await res.text();
      const traceId = res.headers.get("x-trace-id");
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      const entry = JSON.parse(await waitFor(() => tcp.lines[0]));
      expect(entry.trace_id).toEqual({ w3c: traceId });
    } finally {
      await gw.close();
      await tcp.close();
    }
  });

  it("refuses a config without traces_endpoint or logs_endpoint, and bad formats (Kong's messages)", async () => {
    const gw = await startTestGateway();
    try {
      const none = await postPluginConfig(gw.adminUrl, "opentelemetry", {});
      expect(none.status).toBe(400);
      expect(none.text).toContain(
        "at least one of these fields must be non-empty: 'config.traces_endpoint', 'config.logs_endpoint'",
      );
      const bad = await postPluginConfig(gw.adminUrl, "opentelemetry", {
        traces_endpoint: "ftp://x/v1/traces",
        sampling_rate: 2,
        propagation: { inject: ["zipkin"] },
      });
      expect(bad.status).toBe(400);
      const config = JSON.parse(bad.text).fields.plugins[0].config;
      expect(config.traces_endpoint).toBe("unsupported scheme");
      expect(config.sampling_rate).toBe("value must be at most 1");
      expect(config.propagation.inject[0]).toContain("expected one of: preserve, w3c");
      // the deprecated endpoint field is still accepted
      expect(
        (await postPluginConfig(gw.adminUrl, "opentelemetry", { endpoint: `${otlp.url}/v1/traces` })).status,
      ).toBe(201);
    } finally {
      await gw.close();
    }
  });

  describe("Kong's tracing_instrumentations and tracing_sampling_rate (the gateway's tracing settings)", () => {
    /** One traced request with key-auth beside the plugin; its spans once exported. */
    async function spansWith(tracing: { instrumentations?: string[]; samplingRate?: number }) {
      const warnings: string[] = [];
      const logger = { info() {}, warn: (m: string) => warnings.push(m), error() {} };
      const gw = await startTestGateway(doc({}, [{ name: "key-auth" }]), { tracing, logger });
      try {
        const before = upstream.requests.length;
        await (await fetch(`${gw.proxyUrl}/traced?apikey=bob-secret`)).text();
        const up = traceparentOf(before);
        const spans = await traceOf(up.traceId);
        // the request span ends last: what is exported with it is all there is
        await new Promise((r) => setTimeout(r, 100));
        return { up, spans: otlp.spans().filter((s) => s.traceId === up.traceId), all: spans, warnings };
      } finally {
        await gw.close();
      }
    }

    it("request: only the request span, which is then the upstream's parent", async () => {
      const { up, spans } = await spansWith({ instrumentations: ["request"] });
      expect(spans.map((s) => s.name)).toEqual(["kong"]);
      expect(up.spanId).toBe(spans[0]!.spanId);
      expect(up.flags).toBe("01");
      expect(spans[0]!.attributes["http.status_code"]).toBe(200);
    });

    it("balancer, plugin_access: the attempt and the access phases, no other phase", async () => {
      const { up, spans } = await spansWith({ instrumentations: ["balancer", "plugin_access"] });
      const names = spans.map((s) => s.name).sort();
      expect(names).toEqual([
        "kong",
        "kong.access.plugin.key-auth",
        "kong.access.plugin.opentelemetry",
        "kong.balancer",
      ]);
      expect(up.spanId).toBe(spans.find((s) => s.name === "kong.balancer")!.spanId);
    });

    it("plugin_access alone: plugin spans, no balancer span; the upstream hangs from the request span", async () => {
      const { up, spans } = await spansWith({ instrumentations: ["plugin_access"] });
      const root = spans.find((s) => s.name === "kong")!;
      expect(spans.some((s) => s.name === "kong.balancer")).toBe(false);
      expect(spans.filter((s) => s.name.startsWith("kong.access.plugin.")).length).toBe(2);
      expect(up.spanId).toBe(root.spanId);
    });

    it("types Kong accepts that record nothing here are named in a warning at start", async () => {
      const { spans, warnings } = await spansWith({ instrumentations: ["router", "db_query"] });
      expect(spans.map((s) => s.name)).toEqual(["kong"]);
      expect(warnings.some((w) => /tracing_instrumentations: router, db_query accepted/.test(w))).toBe(true);
    });

    it("off: the plugin only propagates — nothing exported, a new trace injected unsampled", async () => {
      const gw = await startTestGateway(doc({ sampling_rate: 1 }), {
        tracing: { instrumentations: ["off"] },
      });
      try {
        const before = upstream.requests.length;
        await (await fetch(`${gw.proxyUrl}/traced`)).text();
        const up = traceparentOf(before);
        expect(up.traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(up.flags).toBe("00");
        // a request exported afterwards by another gateway shows the receiver is reading
        const other = await startTestGateway(doc({}));
        try {
          await (await fetch(`${other.proxyUrl}/traced`)).text();
          await traceOf(traceparentOf(before + 1).traceId);
        } finally {
          await other.close();
        }
        expect(otlp.spans().some((s) => s.traceId === up.traceId)).toBe(false);
      } finally {
        await gw.close();
      }
    });

    it("tracing_sampling_rate applies when the plugin sets no sampling_rate; the plugin's own wins", async () => {
      const gw = await startTestGateway(
        {
          _format_version: "3.0",
          services: [
            {
              name: "svc",
              url: upstream.url,
              routes: [
                { name: "default", paths: ["/default"], plugins: [otelPlugin({})] },
                { name: "own", paths: ["/own"], plugins: [otelPlugin({ sampling_rate: 1 })] },
              ],
            },
          ],
        },
        { tracing: { samplingRate: 0 } },
      );
      try {
        const before = upstream.requests.length;
        await (await fetch(`${gw.proxyUrl}/default`)).text();
        await (await fetch(`${gw.proxyUrl}/own`)).text();
        const unsampled = traceparentOf(before);
        const sampled = traceparentOf(before + 1);
        expect(unsampled.flags).toBe("00");
        expect(sampled.flags).toBe("01");
        await traceOf(sampled.traceId);
        expect(otlp.spans().some((s) => s.traceId === unsampled.traceId)).toBe(false);
      } finally {
        await gw.close();
      }
    });

    it("a bad setting given to the library is refused with Kong's message, naming the setting", async () => {
      await expect(
        startTestGateway(undefined, { tracing: { instrumentations: ["all", "everything"] } }),
      ).rejects.toMatchObject({
        message: "invalid tracing type: everything",
        place: "tracing_instrumentations",
      });
      await expect(startTestGateway(undefined, { tracing: { samplingRate: -1 } })).rejects.toMatchObject({
        message: "tracing_sampling_rate must be between 0 and 1",
        place: "tracing_sampling_rate",
      });
    });
  });
});

function otelPlugin(config: Record<string, unknown>) {
  return {
    name: "opentelemetry",
    config: { traces_endpoint: `${otlp.url}/v1/traces`, queue: FAST_QUEUE, ...config },
  };
}

/**
 * statsd through the running gateway to a StatsD receiver on loopback (Kong's
 * spec/03-plugins/06-statsd re-expressed). Debian has no StatsD server package here
 * (`prometheus-statsd-exporter` is not in the archive), so the receiver is a real UDP socket
 * (and a TCP line server for use_tcp) reading the StatsD wire format: Kong's metric names under
 * the `kong` prefix and the service scope, counters/timers/sets, sample rates, consumer
 * identifiers, tags, packet packing, allow_status_codes, Kong's schema errors.
 */
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKSPACE_ID } from "../../../src/gateway/plugins/statsd/metrics.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { postPluginConfig } from "./_plugin-config.js";
import { startDatagramReceiver, startLineReceiver, waitFor } from "./_receivers.js";

let upstream: EchoUpstream;

beforeAll(async () => {
  upstream = await startEchoUpstream();
});

afterAll(async () => {
  await upstream.close();
});

const FAST_QUEUE = { max_coalescing_delay: 0.01 };

function doc(config: Record<string, unknown>) {
  return {
    _format_version: "3.0",
    consumers: [{ username: "bob", custom_id: "bob-cid", keyauth_credentials: [{ key: "bob-secret" }] }],
    services: [
      {
        name: "orders.api",
        url: upstream.url,
        routes: [
          {
            name: "orders",
            id: "5a1b6d28-ec1f-4d4e-9b0e-4a1f1f1f1f1f",
            paths: ["/orders"],
            plugins: [{ name: "statsd", config: { queue: FAST_QUEUE, ...config } }, { name: "key-auth" }],
          },
        ],
      },
    ],
  };
}

/** The metric names sent, without their values (`kong.x.y:1|c` → `kong.x.y|c`). */
const shape = (line: string) => line.replace(/:[^|]*\|/, "|");

describe("statsd", () => {
  it("sends Kong's default metrics over UDP, one datagram each, under kong.service.<name>", async () => {
    const receiver = await startDatagramReceiver();
    const gw = await startTestGateway(doc({ host: "127.0.0.1", port: receiver.port }));
    try {
      await (await fetch(`${gw.proxyUrl}/orders`, { headers: { apikey: "bob-secret" } })).text();
      await waitFor(() => receiver.datagrams.length >= 11);
      await new Promise((r) => setTimeout(r, 50));
      const scope = "kong.service.orders_api";
      expect(receiver.datagrams.map(shape)).toEqual([
        `${scope}.request.count|c`,
        `${scope}.latency|ms`,
        `${scope}.request.size|c`,
        `${scope}.status.200|c`,
        `${scope}.response.size|c`,
        `${scope}.user.uniques|s`,
        `${scope}.user.bob-cid.request.count|c`,
        `${scope}.upstream_latency|ms`,
        `${scope}.kong_latency|ms`,
        `${scope}.user.bob-cid.status.200|c`,
        `${scope}.workspace.${WORKSPACE_ID}.status.200|c`,
        "kong.route.5a1b6d28-ec1f-4d4e-9b0e-4a1f1f1f1f1f.user.bob-cid.status.200|c",
      ]);
      const byName = new Map(receiver.datagrams.map((d) => [shape(d), d]));
      expect(byName.get(`${scope}.request.count|c`)).toBe(`${scope}.request.count:1|c`);
      expect(byName.get(`${scope}.user.uniques|s`)).toBe(`${scope}.user.uniques:bob-cid|s`);
      expect(Number(/:(\d+)\|/.exec(byName.get(`${scope}.request.size|c`)!)![1])).toBeGreaterThan(0);
      expect(receiver.datagrams.join("\n")).not.toContain("bob-secret");
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("sends no upstream latency for the gateway's own answers; sample rates and identifiers per metric", async () => {
    const receiver = await startDatagramReceiver();
    const gw = await startTestGateway(
      doc({
        host: "127.0.0.1",
        port: receiver.port,
        prefix: "edge",
        metrics: [
          { name: "status_count", stat_type: "counter", sample_rate: 0.5 },
          { name: "upstream_latency", stat_type: "timer" },
          { name: "request_count", stat_type: "counter", sample_rate: 1, service_identifier: "service_id" },
          { name: "request_per_user", stat_type: "counter", sample_rate: 1, consumer_identifier: "username" },
        ],
      }),
    );
    try {
      expect((await fetch(`${gw.proxyUrl}/orders`)).status).toBe(401);
      await waitFor(() => receiver.datagrams.length >= 2);
      await new Promise((r) => setTimeout(r, 50));
      expect(receiver.datagrams[0]).toBe("edge.service.orders_api.status.401:1|c|@0.5");
      expect(receiver.datagrams[1]).toMatch(/^edge\.service\.[0-9a-f-]{36}\.request\.count:1\|c$/);
      expect(receiver.datagrams).toHaveLength(2); // no upstream latency, no consumer
      receiver.datagrams.length = 0;
      await (await fetch(`${gw.proxyUrl}/orders`, { headers: { apikey: "bob-secret" } })).text();
      await waitFor(() => receiver.datagrams.length >= 4);
      expect(receiver.datagrams[3]).toBe("edge.service.orders_api.user.bob.request.count:1|c");
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("packs metrics into datagrams of at most udp_packet_size bytes, newline-separated", async () => {
    const receiver = await startDatagramReceiver();
    const gw = await startTestGateway(doc({ host: "127.0.0.1", port: receiver.port, udp_packet_size: 200 }));
    try {
      await (await fetch(`${gw.proxyUrl}/orders`, { headers: { apikey: "bob-secret" } })).text();
      await waitFor(() => receiver.datagrams.join("\n").split("\n").length >= 12);
      expect(receiver.datagrams.length).toBeGreaterThan(1);
      expect(receiver.datagrams.length).toBeLessThan(12);
      for (const d of receiver.datagrams) expect(d.length).toBeLessThanOrEqual(200);
      expect(receiver.datagrams.join("\n").split("\n")[0]).toBe("kong.service.orders_api.request.count:1|c");
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("tags metrics in the tag_style dialect (dogstatsd, influxdb)", async () => {
    const receiver = await startDatagramReceiver();
    const metrics = [{ name: "request_count", stat_type: "counter", sample_rate: 1 }];
    const node = hostname().replaceAll(".", "_");
    const gw = await startTestGateway(
      doc({ host: "127.0.0.1", port: receiver.port, tag_style: "dogstatsd", metrics }),
    );
    try {
      await (await fetch(`${gw.proxyUrl}/orders`, { headers: { apikey: "bob-secret" } })).text();
      const dog = await waitFor(() => receiver.datagrams[0]);
      expect(dog).toBe(
        `kong.request.count:1|c|#service:orders.api,route:orders,workspace:${WORKSPACE_ID},consumer:bob-cid,node:${node},status:200`,
      );
      await gw.apply(doc({ host: "127.0.0.1", port: receiver.port, tag_style: "influxdb", metrics }));
      await (await fetch(`${gw.proxyUrl}/orders`, { headers: { apikey: "bob-secret" } })).text();
      const influx = await waitFor(() => receiver.datagrams[1]);
      expect(influx).toBe(
        `kong.request.count,service=orders.api,route=orders,workspace=${WORKSPACE_ID},consumer=bob-cid,node=${node},status=200:1|c`,
      );
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("sends lines over TCP with use_tcp, and only allowed status codes", async () => {
    const receiver = await startLineReceiver();
    const gw = await startTestGateway(
      doc({
        host: "127.0.0.1",
        port: receiver.port,
        use_tcp: true,
        allow_status_codes: ["200-299"],
        metrics: [{ name: "status_count", stat_type: "counter", sample_rate: 1 }],
      }),
    );
    try {
      expect((await fetch(`${gw.proxyUrl}/orders`)).status).toBe(401); // not in 200-299
      await (await fetch(`${gw.proxyUrl}/orders`, { headers: { apikey: "bob-secret" } })).text();
      await waitFor(() => receiver.lines.length >= 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.lines).toEqual(["kong.service.orders_api.status.200:1|c"]);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("refuses a counter without sample_rate, unknown metric names and bad status ranges", async () => {
    const gw = await startTestGateway();
    try {
      const res = await postPluginConfig(gw.adminUrl, "statsd", {
        metrics: [
          { name: "request_count", stat_type: "counter" },
          { name: "nope", stat_type: "timer" },
        ],
        allow_status_codes: ["2xx"],
      });
      expect(res.status).toBe(400);
      const config = JSON.parse(res.text).fields.plugins[0].config;
      expect(config.metrics[0].sample_rate).toBe("required field missing");
      expect(config.metrics[1].name).toContain("expected one of: kong_latency");
      expect(config.allow_status_codes[0]).toBe("invalid value");
      expect((await postPluginConfig(gw.adminUrl, "statsd", {})).status).toBe(201);
    } finally {
      await gw.close();
    }
  });
});

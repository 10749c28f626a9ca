/**
 * udp-log through the running gateway to a real UDP receiver on loopback (Kong's
 * spec/03-plugins/02-udp-log re-expressed): Kong's log entry as one JSON datagram per
 * request, credentials redacted, gateway answers logged, nothing lost or slowed when no one
 * listens, Kong's schema errors.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { postPluginConfig, routesWithPlugin } from "./_plugin-config.js";
import { startDatagramReceiver, waitFor } from "./_receivers.js";

let upstream: EchoUpstream;

beforeAll(async () => {
  upstream = await startEchoUpstream();
});

afterAll(async () => {
  await upstream.close();
});

describe("udp-log", () => {
  it("sends Kong's log entry as one JSON datagram per request, credentials redacted", async () => {
    const receiver = await startDatagramReceiver();
    const gw = await startTestGateway(
      routesWithPlugin(
        upstream.url,
        "udp-log",
        [{ path: "/udp", config: { host: "127.0.0.1", port: receiver.port }, extra: [{ name: "key-auth" }] }],
        { consumers: [{ username: "bob", keyauth_credentials: [{ key: "bob-secret" }] }] },
      ),
    );
    try {
      await (await fetch(`${gw.proxyUrl}/udp/a`, { headers: { apikey: "bob-secret" } })).text();
      expect((await fetch(`${gw.proxyUrl}/udp/b`)).status).toBe(401);
      await waitFor(() => receiver.datagrams.length === 2);
      const [ok, denied] = receiver.datagrams.map((d) => JSON.parse(d));
      expect(ok.request.uri).toBe("/udp/a");
      expect(ok.response.status).toBe(200);
      expect(ok.consumer.username).toBe("bob");
      expect(ok.authenticated_entity.consumer_id).toBe(ok.consumer.id);
      expect(ok.upstream_uri).toBe("/a");
      expect(denied.response.status).toBe(401);
      expect(denied.source).toBe("kong");
      expect(receiver.datagrams.join("")).not.toContain("bob-secret");
      // one entry per datagram, no terminator (Kong)
      expect(receiver.datagrams[0]!.endsWith("}")).toBe(true);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("requests go on when nothing listens at the receiver's port", async () => {
    const receiver = await startDatagramReceiver();
    const port = receiver.port;
    await receiver.close();
    const gw = await startTestGateway(
      routesWithPlugin(upstream.url, "udp-log", [{ path: "/nobody", config: { host: "127.0.0.1", port } }]),
    );
    try {
      for (let i = 0; i < 5; i++) expect((await fetch(`${gw.proxyUrl}/nobody`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it("refuses configs without host (Kong's messages)", async () => {
    const gw = await startTestGateway();
    try {
      const res = await postPluginConfig(gw.adminUrl, "udp-log", { port: 9999 });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text).fields.plugins[0].config.host).toBe("required field missing");
    } finally {
      await gw.close();
    }
  });
});

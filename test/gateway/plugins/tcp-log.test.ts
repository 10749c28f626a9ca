/**
 * tcp-log through the running gateway to a real TCP (and TLS) line receiver on loopback
 * (Kong's spec/03-plugins/01-tcp-log re-expressed): Kong's log entry as one JSON line,
 * credentials redacted, gateway answers logged, TLS with SNI, one kept-alive connection for
 * many requests, an unreachable receiver never slowing requests, Kong's schema errors.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { postPluginConfig, routesWithPlugin } from "./_plugin-config.js";
import { startLineReceiver, waitFor } from "./_receivers.js";

let upstream: EchoUpstream;
const dir = mkdtempSync(join(tmpdir(), "gw-tcp-log-"));
let tlsFiles: { key: Buffer; cert: Buffer };

beforeAll(async () => {
  upstream = await startEchoUpstream();
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=logs.test"].concat([
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ]),
    { stdio: "ignore" },
  );
  tlsFiles = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
});

afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

const docWith = (path: string, config: Record<string, unknown>, extra: object[] = []) =>
  routesWithPlugin(upstream.url, "tcp-log", [{ path, config, extra }], {
    consumers: [{ username: "bob", keyauth_credentials: [{ key: "bob-secret" }] }],
  });

describe("tcp-log", () => {
  it("sends Kong's log entry as one JSON line per request, credentials redacted", async () => {
    const receiver = await startLineReceiver();
    const gw = await startTestGateway(
      docWith("/tcp", { host: "127.0.0.1", port: receiver.port }, [{ name: "key-auth" }]),
    );
    try {
      const res = await fetch(`${gw.proxyUrl}/tcp/x?apikey=bob-secret&q=1`);
      expect(res.status).toBe(200);
      await res.text();
      const line = await waitFor(() => receiver.lines[0]);
      const entry = JSON.parse(line);
      expect(entry.request.method).toBe("GET");
      expect(entry.request.querystring.q).toBe("1");
      expect(entry.response.status).toBe(200);
      expect(entry.route.paths).toEqual(["/tcp"]);
      expect(entry.service.name).toBe("svc");
      expect(entry.consumer.username).toBe("bob");
      expect(entry.upstream_status).toBe("200");
      expect(entry.tries).toHaveLength(1);
      expect(Object.keys(entry.latencies).sort()).toEqual(["kong", "proxy", "receive", "request"]);
      expect(line).not.toContain("bob-secret");
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("logs the gateway's own answers (a 401: source kong, no tries)", async () => {
    const receiver = await startLineReceiver();
    const gw = await startTestGateway(
      docWith("/denied", { host: "127.0.0.1", port: receiver.port }, [{ name: "key-auth" }]),
    );
    try {
      expect((await fetch(`${gw.proxyUrl}/denied`)).status).toBe(401);
      const entry = JSON.parse(await waitFor(() => receiver.lines[0]));
      expect(entry.response.status).toBe(401);
      expect(entry.source).toBe("kong");
      expect(entry.latencies.proxy).toBe(-1);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("keeps one connection open for many requests (keepalive)", async () => {
    const receiver = await startLineReceiver();
    const gw = await startTestGateway(docWith("/many", { host: "127.0.0.1", port: receiver.port }));
    try {
      for (let i = 0; i < 5; i++) await (await fetch(`${gw.proxyUrl}/many?i=${i}`)).text();
      await waitFor(() => receiver.lines.length === 5);
      expect(receiver.lines.map((l) => JSON.parse(l).request.querystring.i)).toEqual([
        "0",
        "1",
        "2",
        "3",
        "4",
      ]);
      expect(receiver.connections).toBe(1);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("closes an idle connection after keepalive ms and opens a new one for the next entry", async () => {
    const receiver = await startLineReceiver();
    const gw = await startTestGateway(
      docWith("/idle", { host: "127.0.0.1", port: receiver.port, keepalive: 50 }),
    );
    try {
      await (await fetch(`${gw.proxyUrl}/idle`)).text();
      await waitFor(() => receiver.lines.length === 1);
      await new Promise((r) => setTimeout(r, 200));
      await (await fetch(`${gw.proxyUrl}/idle`)).text();
      await waitFor(() => receiver.lines.length === 2);
      expect(receiver.connections).toBe(2);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("performs a TLS handshake with tls: true, sending tls_sni", async () => {
    const receiver = await startLineReceiver(tlsFiles);
    const gw = await startTestGateway(
      docWith("/tls", { host: "127.0.0.1", port: receiver.port, tls: true, tls_sni: "logs.test" }),
    );
    try {
      await (await fetch(`${gw.proxyUrl}/tls`)).text();
      const entry = JSON.parse(await waitFor(() => receiver.lines[0]));
      expect(entry.request.uri).toBe("/tls");
      expect(receiver.servernames).toEqual(["logs.test"]);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("an unreachable receiver never slows or fails the proxied request", async () => {
    const receiver = await startLineReceiver();
    const port = receiver.port;
    await receiver.close(); // nothing listens there any more
    const gw = await startTestGateway(docWith("/down", { host: "127.0.0.1", port, timeout: 200 }));
    try {
      const started = Date.now();
      for (let i = 0; i < 3; i++) expect((await fetch(`${gw.proxyUrl}/down`)).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await gw.close();
    }
  });

  it("refuses configs without host and port, or with a bad port (Kong's messages)", async () => {
    const gw = await startTestGateway();
    try {
      const missing = await postPluginConfig(gw.adminUrl, "tcp-log", {});
      expect(missing.status).toBe(400);
      expect(missing.text).toContain("host");
      expect(missing.text).toContain("port");
      const bad = await postPluginConfig(gw.adminUrl, "tcp-log", { host: "127.0.0.1", port: 70000 });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain("value should be between 0 and 65535");
      const hostPort = await postPluginConfig(gw.adminUrl, "tcp-log", { host: "example.com:80", port: 1 });
      expect(hostPort.status).toBe(400);
      expect(hostPort.text).toContain("must not have a port");
    } finally {
      await gw.close();
    }
  });
});

/**
 * syslog through the running gateway to real syslog-style receivers on loopback — a UDP
 * socket and a TCP line server standing in for rsyslog's imudp / imtcp (Kong's
 * spec/03-plugins/05-syslog re-expressed): the message format (PRI from facility and the
 * status class's severity, BSD timestamp, tag `kong`, Kong's JSON log entry), log_level
 * filtering, credentials redacted, the receiver address from GATEWAY_SYSLOG_ADDRESS.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseSyslogAddress, SYSLOG_ADDRESS_ENV } from "../../../src/gateway/plugins/syslog/handler.js";
import { bsdTimestamp, syslogMessage } from "../../../src/gateway/plugins/syslog/message.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { postPluginConfig } from "./_plugin-config.js";
import { startDatagramReceiver, startLineReceiver, waitFor } from "./_receivers.js";

let upstream: EchoUpstream;
const savedAddress = process.env[SYSLOG_ADDRESS_ENV];

beforeAll(async () => {
  upstream = await startEchoUpstream({
    handler: (req, res) => {
      const status = Number(new URL(req.url ?? "/", "http://x").searchParams.get("status") ?? 200);
      res.writeHead(status).end("x");
      return true;
    },
  });
});

afterAll(async () => {
  await upstream.close();
});

afterEach(() => {
  if (savedAddress === undefined) delete process.env[SYSLOG_ADDRESS_ENV];
  else process.env[SYSLOG_ADDRESS_ENV] = savedAddress;
});

const doc = (config: Record<string, unknown>) => ({
  _format_version: "3.0",
  consumers: [{ username: "bob", keyauth_credentials: [{ key: "bob-secret" }] }],
  services: [
    {
      name: "svc",
      url: upstream.url,
      routes: [
        { name: "open", paths: ["/open"], plugins: [{ name: "syslog", config }] },
        { name: "auth", paths: ["/auth"], plugins: [{ name: "syslog", config }, { name: "key-auth" }] },
      ],
    },
  ],
});

const SYSLOG_LINE = /^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) kong\[(\d+)\]: (.*)$/;

function parse(message: string): {
  pri: number;
  entry: { response: { status: number }; request: { uri: string } };
} {
  const m = SYSLOG_LINE.exec(message);
  if (m === null) throw new Error(`not a syslog message: ${message}`);
  return { pri: Number(m[1]), entry: JSON.parse(m[5]!) };
}

describe("syslog", () => {
  it("sends one message per request over UDP: PRI from facility and the status class's severity", async () => {
    const receiver = await startDatagramReceiver();
    process.env[SYSLOG_ADDRESS_ENV] = `udp://127.0.0.1:${receiver.port}`;
    const gw = await startTestGateway(
      doc({
        log_level: "debug",
        successful_severity: "info",
        client_errors_severity: "warning",
        server_errors_severity: "crit",
        facility: "local4",
      }),
    );
    try {
      await (await fetch(`${gw.proxyUrl}/open?status=200`)).text();
      await waitFor(() => receiver.datagrams.length === 1);
      await (await fetch(`${gw.proxyUrl}/open?status=404`)).text();
      await waitFor(() => receiver.datagrams.length === 2);
      await (await fetch(`${gw.proxyUrl}/open?status=503`)).text();
      await waitFor(() => receiver.datagrams.length === 3);
      const got = receiver.datagrams.map(parse);
      // local4 = 20: 20 × 8 + info 6 / warning 4 / crit 2
      expect(got.map((g) => g.pri)).toEqual([166, 164, 162]);
      expect(got.map((g) => g.entry.response.status)).toEqual([200, 404, 503]);
      expect(SYSLOG_LINE.exec(receiver.datagrams[0]!)![4]).toBe(String(process.pid));
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("sends nothing for severities below log_level (defaults: user facility, info)", async () => {
    const receiver = await startDatagramReceiver();
    process.env[SYSLOG_ADDRESS_ENV] = `udp://127.0.0.1:${receiver.port}`;
    const gw = await startTestGateway(
      doc({ log_level: "warning", successful_severity: "info", server_errors_severity: "err" }),
    );
    try {
      await (await fetch(`${gw.proxyUrl}/open?status=200`)).text(); // info: below warning
      await (await fetch(`${gw.proxyUrl}/open?status=401`)).text(); // default info: below warning
      await (await fetch(`${gw.proxyUrl}/open?status=500`)).text(); // err: sent
      const first = await waitFor(() => receiver.datagrams[0]);
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.datagrams).toHaveLength(1);
      const { pri, entry } = parse(first);
      expect(pri).toBe(1 * 8 + 3); // user.err
      expect(entry.response.status).toBe(500);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("sends newline-framed messages over one TCP connection, credentials redacted", async () => {
    const receiver = await startLineReceiver();
    process.env[SYSLOG_ADDRESS_ENV] = `tcp://127.0.0.1:${receiver.port}`;
    const gw = await startTestGateway(doc({}));
    try {
      await (await fetch(`${gw.proxyUrl}/auth/x?apikey=bob-secret`)).text();
      expect((await fetch(`${gw.proxyUrl}/auth/y`)).status).toBe(401);
      await waitFor(() => receiver.lines.length === 2);
      const [ok, denied] = receiver.lines.map(parse);
      expect(ok!.pri).toBe(14); // user.info
      expect(ok!.entry.request.uri).toContain("/auth/x?apikey=");
      expect(denied!.entry.response.status).toBe(401);
      expect(receiver.lines.join("\n")).not.toContain("bob-secret");
      expect(receiver.connections).toBe(1);
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it("formats the BSD timestamp and PRI as syslog(3) does", () => {
    const d = new Date(2026, 0, 5, 7, 8, 9);
    expect(bsdTimestamp(d)).toBe("Jan  5 07:08:09");
    expect(syslogMessage("kern", "emerg", "h", "x", d)).toBe(`<0>Jan  5 07:08:09 h kong[${process.pid}]: x`);
    expect(syslogMessage("local7", "debug", "h", "x", d).startsWith("<191>")).toBe(true);
  });

  it("reads udp:// and tcp:// receiver addresses, refusing anything else", () => {
    expect(parseSyslogAddress("udp://10.0.0.1:5514")).toEqual({
      transport: "udp",
      host: "10.0.0.1",
      port: 5514,
    });
    expect(parseSyslogAddress("tcp://rsyslog")).toEqual({ transport: "tcp", host: "rsyslog", port: 514 });
    expect(parseSyslogAddress("tcp://[::1]:601")).toEqual({ transport: "tcp", host: "::1", port: 601 });
    expect(parseSyslogAddress("/dev/log")).toBeNull();
    expect(parseSyslogAddress("udp://h:99999")).toBeNull();
  });

  it("refuses unknown severities and facilities (Kong's messages)", async () => {
    const gw = await startTestGateway();
    try {
      const res = await postPluginConfig(gw.adminUrl, "syslog", { log_level: "loud", facility: "moon" });
      expect(res.status).toBe(400);
      const config = JSON.parse(res.text).fields.plugins[0].config;
      expect(config.log_level).toContain(
        "expected one of: debug, info, notice, warning, err, crit, alert, emerg",
      );
      expect(config.facility).toContain("expected one of: auth");
    } finally {
      await gw.close();
    }
  });
});

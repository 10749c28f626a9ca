/** The small pure pieces of the proxy: trusted IPs, hop-by-hop, error formats, targets. */
import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { classifyUpstreamError, errorFormatFor, renderErrorBody } from "../../../src/gateway/proxy/errors.js";
import {
  connectionListedFields,
  rawHeadersWithoutHopByHop,
  withoutHopByHop,
} from "../../../src/gateway/proxy/hop-by-hop.js";
import { addressOf, parseRealIpRecursive, RealIp } from "../../../src/gateway/proxy/real-ip.js";
import { newRequestId } from "../../../src/gateway/proxy/request-id.js";
import { hostWithoutPort, splitTarget } from "../../../src/gateway/proxy/request-target.js";
import { normalizeIp, TrustedIps } from "../../../src/gateway/proxy/trusted-ips.js";

describe("trusted IPs", () => {
  it("match addresses and CIDRs, IPv4 and IPv6, mapped IPv4 too", () => {
    const t = new TrustedIps(["10.0.0.0/8", "192.168.1.7", "fd00::/8"]);
    expect(t.has("10.200.3.4")).toBe(true);
    expect(t.has("192.168.1.7")).toBe(true);
    expect(t.has("192.168.1.8")).toBe(false);
    expect(t.has("fd12::1")).toBe(true);
    expect(t.has("fe80::1")).toBe(false);
    expect(t.has("::ffff:10.1.1.1")).toBe(true);
    expect(new TrustedIps(["0.0.0.0/0"]).has("8.8.8.8")).toBe(true);
    expect(new TrustedIps([]).has("127.0.0.1")).toBe(false);
    expect(() => new TrustedIps(["not-an-ip"])).toThrow(/invalid trusted IP/);
    expect(() => new TrustedIps(["10.0.0.0/33"])).toThrow(/invalid CIDR/);
  });

  it("normalize IPv4-mapped peers", () => {
    expect(normalizeIp("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(normalizeIp("::1")).toBe("::1");
  });
});

/** A request as Node's parser delivers it: joined `headers`, and `rawHeaders` line by line. */
function requestWith(lines: Array<[string, string]>): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.rawHeaders = lines.flat();
  for (const [name, value] of lines) {
    const key = name.toLowerCase();
    const prior = req.headers[key];
    req.headers[key] = prior === undefined ? value : `${prior}, ${value}`;
  }
  return req;
}

describe("real IP (nginx realip as Kong configures it)", () => {
  const trusted = new TrustedIps(["127.0.0.1", "172.16.0.0/12", "192.168.0.1"]);
  const xff = new RealIp({ trusted, header: "X-Forwarded-For", recursive: true });

  it("by default reads X-Real-IP only, from trusted peers only", () => {
    const realIp = new RealIp({ trusted });
    expect(realIp.header).toBe("x-real-ip");
    expect(realIp.clientOf("127.0.0.1", requestWith([["X-Real-IP", "10.0.0.2"]]))).toBe("10.0.0.2");
    expect(realIp.clientOf("8.8.8.8", requestWith([["X-Real-IP", "10.0.0.2"]]))).toBe("8.8.8.8");
    // X-Forwarded-For decides nothing when the configured header is X-Real-IP
    expect(realIp.clientOf("127.0.0.1", requestWith([["X-Forwarded-For", "10.0.0.1"]]))).toBe("127.0.0.1");
    // a repeated single-valued header is read from its first line
    expect(
      realIp.clientOf(
        "127.0.0.1",
        requestWith([
          ["X-Real-IP", "10.0.0.2"],
          ["X-Real-IP", "10.0.0.3"],
        ]),
      ),
    ).toBe("10.0.0.2");
  });

  it("with X-Forwarded-For, a client's X-Real-IP never decides the address", () => {
    const req = requestWith([
      ["X-Real-IP", "203.0.113.9"],
      ["X-Forwarded-For", "198.51.100.4"],
    ]);
    expect(xff.clientOf("127.0.0.1", req)).toBe("198.51.100.4");
    expect(xff.clientOf("127.0.0.1", requestWith([["X-Real-IP", "203.0.113.9"]]))).toBe("127.0.0.1");
  });

  it("recursive: the right-most address that is not trusted, across header lines", () => {
    expect(
      xff.clientOf(
        "127.0.0.1",
        requestWith([["X-Forwarded-For", "127.0.0.1, 10.0.0.1, 192.168.0.1, 127.0.0.1, 172.16.0.1"]]),
      ),
    ).toBe("10.0.0.1");
    const twoLines = requestWith([
      ["X-Forwarded-For", "10.9.9.9, 10.0.0.1"],
      ["X-Forwarded-For", "172.16.5.5"],
    ]);
    expect(xff.clientOf("127.0.0.1", twoLines)).toBe("10.0.0.1");
    expect(xff.clientOf("127.0.0.1", requestWith([["X-Forwarded-For", "10.0.0.1:15, 192.168.0.1:16"]]))).toBe(
      "10.0.0.1",
    );
    // every hop trusted: the left-most one
    expect(xff.clientOf("127.0.0.1", requestWith([["X-Forwarded-For", "172.16.0.9, 192.168.0.1"]]))).toBe(
      "172.16.0.9",
    );
  });

  it("not recursive: the last address of the header, trusted or not", () => {
    const last = new RealIp({ trusted, header: "X-Forwarded-For" });
    expect(last.clientOf("127.0.0.1", requestWith([["X-Forwarded-For", "10.0.0.1, 172.16.0.1"]]))).toBe(
      "172.16.0.1",
    );
  });

  it("an element that is not an address ends the walk with the address so far", () => {
    expect(xff.clientOf("127.0.0.1", requestWith([["X-Forwarded-For", "junk"]]))).toBe("127.0.0.1");
    expect(
      xff.clientOf("127.0.0.1", requestWith([["X-Forwarded-For", "10.0.0.1, unknown, 172.16.0.1"]])),
    ).toBe("172.16.0.1");
    expect(xff.clientOf("127.0.0.1", requestWith([["X-Forwarded-For", "10.0.0.1, , 172.16.0.1,"]]))).toBe(
      "10.0.0.1",
    );
  });

  it("custom header names; proxy_protocol and bad names are refused", () => {
    const custom = new RealIp({ trusted, header: "CF-Connecting-IP" });
    expect(custom.clientOf("127.0.0.1", requestWith([["cf-connecting-ip", "2001:db8::7"]]))).toBe(
      "2001:db8::7",
    );
    expect(() => new RealIp({ trusted, header: "proxy_protocol" })).toThrow(/PROXY-protocol/);
    expect(() => new RealIp({ trusted, header: "X Real" })).toThrow(/not a header name/);
    expect(parseRealIpRecursive("on")).toBe(true);
    expect(parseRealIpRecursive("OFF")).toBe(false);
    expect(() => parseRealIpRecursive("yes")).toThrow(/"on" or "off"/);
  });

  it("addresses with ports, bracketed IPv6, and what is not an address", () => {
    expect(addressOf("1.2.3.4")).toBe("1.2.3.4");
    expect(addressOf("1.2.3.4:80")).toBe("1.2.3.4");
    expect(addressOf("::1")).toBe("::1");
    expect(addressOf("[::1]")).toBe("::1");
    expect(addressOf("[::1]:443")).toBe("::1");
    expect(addressOf("[1.2.3.4]")).toBeNull();
    expect(addressOf("example.com:80")).toBeNull();
    expect(addressOf("1.2.3.4:http")).toBeNull();
  });
});

describe("hop-by-hop", () => {
  it("drops the fixed list and what Connection names, from records and raw lists", () => {
    expect(connectionListedFields("keep-alive")).toEqual([]);
    expect(connectionListedFields("Keep-Alive, X-Foo,  x-bar ,close")).toEqual(["x-foo", "x-bar"]);
    expect(
      withoutHopByHop({
        connection: "x-foo",
        "x-foo": "1",
        "keep-alive": "t",
        te: "trailers",
        "x-keep": "2",
      }),
    ).toEqual({ "x-keep": "2" });
    const raw = [
      "Connection",
      "X-Drop",
      "X-Drop",
      "1",
      "Via",
      "1.1 a",
      "Set-Cookie",
      "a",
      "Set-Cookie",
      "b",
    ].map((s) => Buffer.from(s));
    expect(rawHeadersWithoutHopByHop(raw)).toEqual({
      list: ["Set-Cookie", "a", "Set-Cookie", "b"],
      via: "1.1 a",
    });
  });
});

describe("gateway error bodies", () => {
  it("negotiate the format from Accept (JSON by default) and escape the message", () => {
    expect(errorFormatFor(undefined)).toBe("json");
    expect(errorFormatFor("*/*")).toBe("json");
    expect(errorFormatFor("text/html,application/xhtml+xml;q=0.9")).toBe("html");
    expect(errorFormatFor("application/xml;q=0.2, text/plain;q=0.8")).toBe("plain");
    expect(errorFormatFor("image/png")).toBe("json");
    expect(renderErrorBody('say "hi"', "id1", undefined).body).toBe(
      '{\n  "message":"say \\"hi\\"",\n  "request_id":"id1"\n}',
    );
    expect(renderErrorBody("<x>", "id1", "text/html").body).toContain("<p>&#60;x&#62;.</p>");
  });

  it("classify upstream failures: timeouts 504, connection failures retryable 502, the rest 502", () => {
    expect(classifyUpstreamError({ code: "UND_ERR_HEADERS_TIMEOUT" })).toEqual({
      code: "GW_UPSTREAM_TIMEOUT",
      retryable: false,
      timeout: true,
    });
    expect(classifyUpstreamError({ code: "UND_ERR_CONNECT_TIMEOUT" })).toMatchObject({
      code: "GW_UPSTREAM_TIMEOUT",
      retryable: true,
    });
    expect(classifyUpstreamError({ code: "ECONNREFUSED" })).toMatchObject({
      code: "GW_UPSTREAM_CONNECT",
      retryable: true,
    });
    // every way a connection can fail is a retryable tcp failure (or a timeout)
    for (const code of ["EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "ECONNABORTED", "EHOSTDOWN"]) {
      expect(classifyUpstreamError({ code })).toEqual({
        code: "GW_UPSTREAM_CONNECT",
        retryable: true,
        timeout: false,
      });
    }
    expect(classifyUpstreamError({ code: "ETIMEDOUT" })).toEqual({
      code: "GW_UPSTREAM_TIMEOUT",
      retryable: true,
      timeout: true,
    });
    expect(classifyUpstreamError({ code: "HPE_INVALID_CONSTANT" })).toMatchObject({
      code: "GW_UPSTREAM_INVALID",
      retryable: false,
    });
  });
});

describe("request targets", () => {
  it("split path and query; absolute-form gives its authority and path; hosts lose their port", () => {
    expect(splitTarget("/a/b?x=1&y")).toEqual({ path: "/a/b", rawQuery: "x=1&y", authority: null });
    expect(splitTarget("http://example.com/p?q")).toEqual({
      path: "/p",
      rawQuery: "q",
      authority: "example.com",
    });
    expect(splitTarget("http://example.com")).toEqual({ path: "/", rawQuery: "", authority: "example.com" });
    expect(splitTarget("HTTPS://user:pw@A.example:8443?x=1")).toEqual({
      path: "/",
      rawQuery: "x=1",
      authority: "A.example:8443",
    });
    // not an http(s) URI: an empty authority marks the bad request
    expect(splitTarget("ftp://a.example/f").authority).toBe("");
    expect(splitTarget("*")).toEqual({ path: "*", rawQuery: "", authority: null });
    expect(hostWithoutPort("Example.COM:8000")).toBe("example.com");
    expect(hostWithoutPort("[::1]:8000")).toBe("[::1]");
    expect(newRequestId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newRequestId()).not.toBe(newRequestId());
  });
});

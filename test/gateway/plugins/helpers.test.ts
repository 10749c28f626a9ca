/** Unit tests of the pure helpers behind the plugins (the plugins themselves are tested through the gateway). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitPair } from "../../../src/gateway/plugins/_shared/config-pairs.js";
import { SecretIndex, secretsEqual } from "../../../src/gateway/plugins/_shared/constant-time.js";
import { encodeBody, parseBody } from "../../../src/gateway/plugins/_shared/request-body.js";
import { compileOrigins, normalizeOrigin } from "../../../src/gateway/plugins/cors/origins.js";
import {
  compileIpList,
  normalizeClientIp,
  parseIpOrCidr,
} from "../../../src/gateway/plugins/ip-restriction/ip-list.js";
import { decodeBase64, decodeToken } from "../../../src/gateway/plugins/jwt/token.js";
import {
  compileTemplate,
  renderTemplate,
  TemplateError,
} from "../../../src/gateway/plugins/request-transformer/template.js";

describe("constant-time secrets", () => {
  it("compares and indexes secrets by value", () => {
    expect(secretsEqual("a", "a")).toBe(true);
    expect(secretsEqual("a", "b")).toBe(false);
    expect(secretsEqual("", "x")).toBe(false);
    const index = new SecretIndex<number>();
    index.set("key-1", 1);
    expect(index.get("key-1")).toBe(1);
    expect(index.get("key-")).toBeNull();
    expect(index.size).toBe(1);
  });
});

describe("config pairs", () => {
  it("splits at the first colon(s), keeping later colons in the value", () => {
    expect(splitPair("x-url:http://a:8080/b")).toEqual({ name: "x-url", value: "http://a:8080/b" });
    expect(splitPair("name::v")).toEqual({ name: "name", value: "v" });
    expect(splitPair("name:")).toEqual({ name: "name", value: "" });
  });
});

describe("request bodies", () => {
  it("round-trips multipart bodies it did not change", () => {
    const raw = Buffer.from('--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--\r\n');
    const body = parseBody("multipart/form-data; boundary=B", raw);
    expect(body?.kind).toBe("multipart");
    expect(encodeBody(body!).toString()).toBe(raw.toString());
  });

  it("refuses JSON that is not an object and types it does not know", () => {
    expect(parseBody("application/json", Buffer.from("[1]"))).toBeNull();
    expect(parseBody("application/json", Buffer.from("{"))).toBeNull();
    expect(parseBody("text/plain", Buffer.from("a=b"))).toBeNull();
  });
});

describe("cors origins", () => {
  it("normalizes default ports and case; no URL stays as written", () => {
    expect(normalizeOrigin("HTTP://Example.COM:80")).toEqual({
      domain: "http://example.com",
      host: "example.com",
    });
    expect(normalizeOrigin("https://a.test:8443")).toEqual({ domain: "https://a.test:8443", host: "a.test" });
    expect(normalizeOrigin("a.test")).toEqual({ domain: "a.test", host: "a.test" });
  });

  // Kong's spec/03-plugins/13-cors/01-access_spec.lua origin table, re-expressed: the answer
  // for each Origin (true: the Origin itself, false: no header, a string: that value)
  const ORIGINS = [
    "http://evil.test",
    "http://foo.test",
    "http://foo.test.evil.test",
    "http://something.foo.test",
    "http://foo.test:80",
    "http://foo.test:8000",
    "https://foo.test:8000",
    "http://foo.test:90",
    "http://foobtest",
    "https://bar.test:1234",
  ];
  const cases: Array<[string[], Array<string | boolean>]> = [
    [["foo.test"], Array(10).fill("foo.test")],
    [["https://bar.test:1234"], Array(10).fill("https://bar.test:1234")],
    [["foo\\.test"], [false, true, false, false, "http://foo.test", true, true, true, false, false]],
    [["(.*[./])?foo\\.test"], [false, true, false, true, "http://foo.test", true, true, true, false, false]],
    [["(.*[./])?foo\\.test:8000"], [false, false, false, false, false, true, true, false, false, false]],
    [
      ["https://(.*[.])?foo\\.test:8000"],
      [false, false, false, false, false, false, true, false, false, false],
    ],
    [
      ["^http://(.*[.])?foo\\.test(:(80|90))?$"],
      [false, true, false, true, "http://foo.test", false, false, true, false, false],
    ],
    [["foo.test", "bar.test"], Array(10).fill(false)],
    [
      ["http://foo.test", "https://bar.test:1234"],
      [false, true, false, false, "http://foo.test", false, false, false, false, true],
    ],
    [
      ["bar.test", "(.*\\.)?foo\\.test"],
      [false, true, false, true, "http://foo.test", true, true, true, false, false],
    ],
  ];
  it.each(cases)("origins %j", (origins, expected) => {
    const m = compileOrigins(origins);
    ORIGINS.forEach((origin, i) => {
      const want = expected[i] === true ? origin : expected[i] === false ? null : expected[i];
      expect(m.answer(origin).allowOrigin, origin).toBe(want);
    });
  });

  it("a single plain origin is the answer even without an Origin; * anywhere allows all", () => {
    expect(compileOrigins(["foo.test"]).answer(undefined)).toEqual({
      allowAll: false,
      allowOrigin: "foo.test",
      vary: true,
    });
    const star = compileOrigins(["foo.bar", "*"]);
    expect(star.answer("http://x.test")).toMatchObject({ allowAll: true, allowOrigin: "*" });
    expect(star.answer("")).toMatchObject({ allowAll: false, allowOrigin: null });
    expect(compileOrigins(null).answer(undefined)).toMatchObject({ allowAll: true, vary: false });
  });
});

describe("ip lists", () => {
  it("parses addresses and CIDRs and matches IPv4-mapped clients", () => {
    expect(parseIpOrCidr("10.0.0.0/8")).toEqual({ address: "10.0.0.0", prefix: 8, family: "ipv4" });
    expect(parseIpOrCidr("::1")).toEqual({ address: "::1", prefix: 128, family: "ipv6" });
    expect(parseIpOrCidr("10.0.0.0/33")).toBeNull();
    expect(parseIpOrCidr("nope")).toBeNull();
    const list = compileIpList(["10.0.0.0/8"]);
    const client = normalizeClientIp("::ffff:10.1.2.3")!;
    expect(list.check(client.address, client.family)).toBe(true);
  });
});

describe("jwt decoding", () => {
  it("decodes base64url and base64, unpadded, and rejects junk", () => {
    expect(decodeBase64("aGk")?.toString()).toBe("hi");
    expect(decodeBase64("-_8")).not.toBeNull();
    expect(decodeBase64("a$b")).toBeNull();
    expect(decodeBase64("a")).toBeNull();
  });

  it("never throws on arbitrary tokens", () => {
    fc.assert(
      fc.property(fc.string(), (token) => {
        const result = decodeToken(token);
        expect("token" in result || "error" in result).toBe(true);
      }),
    );
  });
});

describe("request-transformer templates", () => {
  const env = {
    headers: { "x-user-id": "7", host: "h.test" },
    query_params: new URLSearchParams("q=1&q=2"),
    uri_captures: { "1": "one", name: "named" },
    shared: new Map<string, unknown>([["k", 5]]),
  };

  it("renders paths, indexes, fallbacks and escapes", () => {
    const render = (t: string) => renderTemplate(compileTemplate(t), env);
    expect(render("id=$(headers.x_user_id)")).toBe("id=7");
    expect(render('$(headers["X-User-Id"])')).toBe("7");
    expect(render("$(uri_captures[1])-$(uri_captures.name)")).toBe("one-named");
    expect(render('$(query_params.none or "dflt")')).toBe("dflt");
    expect(render("$(query_params.q)")).toBe("1,2");
    expect(render("$(shared.k)")).toBe("5");
    expect(render("\\$(headers.host)")).toBe("$(headers.host)");
    expect(render("$(headers.missing)")).toBe("");
  });

  it("rejects what it cannot evaluate", () => {
    for (const t of ["$(os.exit())", "$(headers.a", "$(headers)", "$(headers.a.b)"]) {
      expect(() => compileTemplate(t), t).toThrow(TemplateError);
    }
  });
});

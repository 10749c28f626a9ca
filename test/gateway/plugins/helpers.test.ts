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
  it("normalizes default ports and case", () => {
    expect(normalizeOrigin("HTTP://Example.COM:80")).toBe("http://example.com");
    expect(normalizeOrigin("https://a.test:8443")).toBe("https://a.test:8443");
  });

  it("anchors regex entries", () => {
    const m = compileOrigins(["^https://.*\\.example\\.com$", "http://plain.test"]);
    expect(m.matches("https://a.example.com")).toBe(true);
    expect(m.matches("https://a.example.com.evil")).toBe(false);
    expect(m.matches("http://plain.test:80")).toBe(true);
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

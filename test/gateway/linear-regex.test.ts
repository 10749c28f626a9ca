/**
 * Regexes from the configuration are matched in linear time: the classic catastrophic
 * patterns answer at once on inputs a backtracking engine would spend seconds (or years)
 * on, through the engine and through a real gateway (route paths, route header values,
 * cors origins), and a request on a plain route is not held up meanwhile.
 */
import { describe, expect, it } from "vitest";
import {
  compileLinearRegex,
  LinearRegexSyntaxError,
  lazyLinearRegex,
  linearRegexError,
} from "../../src/gateway/linear-regex.js";
import type { Gateway } from "../../src/gateway/server.js";
import { cleanupsAfterEach } from "../support/cleanups.js";
import { rawRequest, startEchoUpstream, testGatewaysClosedBy } from "../support/gateway.js";

/** Exponential (or high-degree polynomial) for a backtracking engine on "aaaa…a!". */
const CATASTROPHIC = ["(a+)+$", "(a|a)*$", "(a|aa)+$", "(.*a){20}$", "(\\w+\\s?)*$", "((a*)*b)"];

function msOf(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

describe("compileLinearRegex", () => {
  it.each(CATASTROPHIC)("%s on 10,000 characters finishes in well under a second", (source) => {
    const re = compileLinearRegex(`^(?:/${source})`);
    const input = `/${"a".repeat(10_000)}!`;
    expect(msOf(() => expect(re.exec(input)).toBeNull())).toBeLessThan(500);
    expect(msOf(() => expect(re.test(input)).toBe(false))).toBeLessThan(500);
  });

  it("exec answers like RegExp: match, numbered and named groups, unset groups undefined", () => {
    const m = compileLinearRegex("^(?:/users/(?<user>[a-z]+)(/x)?/orders/(\\d+))").exec(
      "/users/ann/orders/42/y",
    );
    expect(m?.[0]).toBe("/users/ann/orders/42");
    expect([...m!]).toEqual(["/users/ann/orders/42", "ann", undefined, "42"]);
    expect({ ...m!.groups }).toEqual({ user: "ann" });
    expect(compileLinearRegex("^(?:/a)").exec("/b")).toBeNull();
  });

  it("(?P<name>…) is the same named group; ignoreCase folds case", () => {
    expect({ ...compileLinearRegex("(?P<v>v\\d)").exec("/api/v2")!.groups }).toEqual({ v: "v2" });
    expect(compileLinearRegex("^https://app\\.test$", { ignoreCase: true }).test("HTTPS://App.Test")).toBe(
      true,
    );
    expect(compileLinearRegex("^https://app\\.test$").test("HTTPS://App.Test")).toBe(false);
  });

  it("refuses look-around and backreferences (not linear), and syntax errors, with the reason", () => {
    expect(() => compileLinearRegex("/(?=a)")).toThrow(LinearRegexSyntaxError);
    expect(linearRegexError("/(?<!a)b")).toBe(
      "invalid regex: '/(?<!a)b' (look-around and backreferences are not supported: patterns are matched in linear time (RE2 syntax))",
    );
    expect(linearRegexError("(a)\\1")).toMatch(/look-around and backreferences are not supported/);
    expect(linearRegexError("[(?=]x")).toBeNull(); // inside a class these are plain characters
    expect(linearRegexError("a{1001}")).toBe("invalid regex: 'a{1001}' (invalid repeat count: `{1001}`)");
    expect(linearRegexError("/users/(?<id>\\d+)$")).toBeNull();
  });
});

describe("lazyLinearRegex", () => {
  it("matches as the compiled pattern does; a refused pattern never matches instead of throwing", () => {
    const lazy = lazyLinearRegex("^(?:/v(\\d+))");
    expect(lazy.exec("/v2/x")?.[1]).toBe("2");
    expect(lazy.test("/x")).toBe(false);
    const refused = lazyLinearRegex("/(?=a)");
    expect(refused.test("/a")).toBe(false);
    expect(refused.exec("/a")).toBeNull();
  });
});

describe("through a real gateway", () => {
  const cleanups = cleanupsAfterEach();
  const gatewayFor = testGatewaysClosedBy(cleanups);

  /** `/aaa…a<end>`, `length` characters: a miss the backtracking engine explores exhaustively. */
  const evilPath = (length: number, end = "!") => `/${"a".repeat(length - 2)}${end}`;
  const gatewayLatency = (headers: Record<string, unknown>) => Number(headers["x-kong-response-latency"]);

  /** A gateway whose one service (a real echo upstream) has `routes`. */
  async function gatewayWithRoutes(routes: object[]): Promise<Gateway> {
    const upstream = await startEchoUpstream();
    cleanups.push(() => upstream.close());
    return gatewayFor({ _format_version: "3.0", services: [{ name: "s", url: upstream.url, routes }] });
  }

  async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const t = performance.now();
    const value = await fn();
    return { value, ms: performance.now() - t };
  }

  it("route `~/(a+)+$`: 40-character paths are answered in < 10 ms and a concurrent plain request does not wait", async () => {
    const gw = await gatewayWithRoutes([
      { name: "evil", paths: ["~/(a+)+$"] },
      { name: "plain", paths: ["/plain"] },
    ]);
    // growing lengths: a backtracking engine fails the bound (and does not hang the test) at ~24
    for (const length of [20, 24, 28, 32, 36, 40]) {
      const res = await rawRequest(gw.proxyUrl, evilPath(length));
      expect(res.status).toBe(404);
      expect(gatewayLatency(res.headers), `path of ${length} characters`).toBeLessThan(10);
    }
    // unique 40-character paths (no cached match), with a plain request in the middle of them
    const evil = ["!", "#", "~", "-", ".", "_"].map((end) =>
      timed(() => rawRequest(gw.proxyUrl, evilPath(40, end))),
    );
    const plain = timed(() => rawRequest(gw.proxyUrl, "/plain"));
    for (const { value } of await Promise.all(evil)) {
      expect(value.status).toBe(404);
      expect(gatewayLatency(value.headers)).toBeLessThan(10);
    }
    const { value: plainRes, ms } = await plain;
    expect(plainRes.status).toBe(200);
    expect(ms).toBeLessThan(250);
  });

  it("a `~*` header regex and a cors origin regex on hostile values answer at once", async () => {
    const gw = await gatewayWithRoutes([
      { name: "by-header", paths: ["/h"], headers: { "x-tenant": ["~*^(a+)+$"] } },
      {
        name: "cors",
        paths: ["/c"],
        plugins: [{ name: "cors", config: { origins: ["https://(a+)+\\.example"] } }],
      },
    ]);
    for (const length of [20, 24, 28, 40]) {
      const header = await rawRequest(gw.proxyUrl, "/h", {
        headers: { "x-tenant": evilPath(length).slice(1) },
      });
      expect(header.status).toBe(404);
      expect(gatewayLatency(header.headers), `header of ${length} characters`).toBeLessThan(10);
      const origin = `https://${evilPath(length).slice(1)}`;
      const cors = await timed(() => rawRequest(gw.proxyUrl, "/c", { headers: { origin } }));
      expect(cors.value.status).toBe(200);
      expect(cors.value.headers["access-control-allow-origin"]).toBeUndefined();
      expect(cors.ms, `origin of ${length} characters`).toBeLessThan(100);
    }
    const allowed = await rawRequest(gw.proxyUrl, "/c", { headers: { origin: "https://aaa.example" } });
    expect(allowed.headers["access-control-allow-origin"]).toBe("https://aaa.example");
  });
});

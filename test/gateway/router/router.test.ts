/**
 * Router behaviour re-expressed from Kong's router specs (spec/01-unit/08-router_spec.lua,
 * spec/02-integration/05-proxy/02-router_spec.lua) for the traditional_compatible flavor.
 */
import type { IncomingHttpHeaders } from "node:http";
import { describe, expect, it } from "vitest";
import { buildLinearRouter, buildRouter } from "../../../src/gateway/router/index.js";
import type { RouteMatch, Router } from "../../../src/gateway/router/types.js";
import { loadConfig, routesDoc } from "../support/config.js";

interface Req {
  method?: string;
  host?: string;
  path: string;
  headers?: IncomingHttpHeaders;
}

function routerOf(routes: Array<Record<string, unknown>>): Router {
  return buildRouter(loadConfig(routesDoc(routes)));
}

function match(router: Router, req: Req): RouteMatch | null {
  const host = req.host ?? "example.test";
  return router.match({
    method: req.method ?? "GET",
    host: host.split(":")[0]!.toLowerCase(),
    path: req.path,
    headers: { host, ...(req.headers ?? {}) },
    protocol: "http",
  });
}

function routeName(router: Router, req: Req): string | null {
  return match(router, req)?.route.name ?? null;
}

describe("router: every field a route sets must match", () => {
  const router = routerOf([
    { hosts: ["domain-1.org", "domain-2.org"] },
    { methods: ["TRACE"] },
    { paths: ["/my-route"] },
    { paths: ["/route-4"], hosts: ["domain-1.org", "domain-2.org"] },
    { methods: ["POST", "PUT"], paths: ["/route-5"], hosts: ["domain-1.org"] },
    { headers: { location: ["my-location-1", "my-location-2"] } },
    { headers: { version: ["v1"] }, hosts: ["domain-3.org"] },
  ]);

  it.each([
    [{ host: "domain-1.org", path: "/" }, "r0"],
    [{ host: "domain-2.org", path: "/anything" }, "r0"],
    [{ method: "TRACE", path: "/" }, "r1"],
    [{ path: "/my-route" }, "r2"],
    [{ path: "/my-route/hello" }, "r2"],
    [{ path: "/my-routes" }, "r2"],
    [{ host: "domain-1.org", path: "/route-4" }, "r3"],
    [{ host: "domain-2.org", path: "/route-4/x" }, "r3"],
    [{ method: "POST", host: "domain-1.org", path: "/route-5" }, "r4"],
    [{ method: "GET", host: "domain-1.org", path: "/route-5" }, "r0"],
    [{ path: "/", headers: { location: "my-location-2" } }, "r5"],
    [{ path: "/", headers: { location: "MY-LOCATION-1" } }, "r5"],
    [{ host: "domain-3.org", path: "/", headers: { version: "v1" } }, "r6"],
  ])("%j → %s", (req, expected) => {
    expect(routeName(router, req)).toBe(expected);
  });

  it.each([
    [{ host: "domain-3.org", path: "/" }],
    [{ path: "/", headers: { location: "elsewhere" } }],
    [{ host: "nope.org", path: "/nothing" }],
    [{ method: "GET", path: "/route-4" }],
  ])("%j → no route", (req) => {
    expect(match(router, req)).toBeNull();
  });
});

describe("router: hosts", () => {
  const router = routerOf([
    { hosts: ["*.example.com"] },
    { hosts: ["example.*"] },
    { hosts: ["plain.example.com"] },
    { hosts: ["ported.test:8080"] },
    { hosts: ["MiXeD.Test"] },
  ]);

  it.each([
    ["foo.example.com", "r0"],
    ["bar.foo.example.com", "r0"],
    ["example.org", "r1"],
    ["example.co.uk", "r1"],
    ["plain.example.com", "r2"],
    ["ported.test:8080", "r3"],
    ["mixed.test", "r4"],
    ["MIXED.TEST", "r4"],
  ])("Host %s → %s", (host, expected) => {
    expect(routeName(router, { host, path: "/" })).toBe(expected);
  });

  it("a wildcard needs a label: *.example.com does not match example.com", () => {
    expect(routeName(router, { host: "example.com", path: "/" })).toBe("r1"); // example.* does
    const only = routerOf([{ hosts: ["*.example.com"] }]);
    expect(routeName(only, { host: "example.com", path: "/" })).toBeNull();
  });

  it("host:port routes need the port in the Host header", () => {
    expect(routeName(router, { host: "ported.test", path: "/" })).toBeNull();
    expect(routeName(router, { host: "ported.test:9090", path: "/" })).toBeNull();
  });

  it("a plain host route ignores the Host port", () => {
    expect(routeName(router, { host: "plain.example.com:8000", path: "/" })).toBe("r2");
  });
});

describe("router: priorities (Kong traditional_compatible)", () => {
  it("more matching fields win", () => {
    const router = routerOf([{ hosts: ["a.test"] }, { hosts: ["a.test"], paths: ["/x"] }, { paths: ["/x"] }]);
    expect(routeName(router, { host: "a.test", path: "/x/y" })).toBe("r1");
    expect(routeName(router, { host: "a.test", path: "/y" })).toBe("r0");
    expect(routeName(router, { host: "b.test", path: "/x" })).toBe("r2");
  });

  it("plain hosts beat wildcards with the same number of fields", () => {
    const router = routerOf([{ hosts: ["*.example.com"] }, { hosts: ["api.example.com"] }]);
    expect(routeName(router, { host: "api.example.com", path: "/" })).toBe("r1");
    expect(routeName(router, { host: "web.example.com", path: "/" })).toBe("r0");
  });

  it("more headers beat fewer", () => {
    const router = routerOf([{ headers: { a: ["1"] } }, { headers: { a: ["1"], b: ["2"] } }]);
    expect(routeName(router, { path: "/", headers: { a: "1", b: "2" } })).toBe("r1");
    expect(routeName(router, { path: "/", headers: { a: "1" } })).toBe("r0");
  });

  it("a regex path beats a longer prefix", () => {
    const router = routerOf([{ paths: ["/users/123/profile"] }, { paths: ["~/users/\\d+"] }]);
    expect(routeName(router, { path: "/users/123/profile" })).toBe("r1");
    expect(routeName(router, { path: "/users/abc" })).toBeNull();
  });

  it("regex_priority orders regex routes; it does not affect prefix routes", () => {
    const router = routerOf([
      { paths: ["~/status/\\d+"], regex_priority: 0 },
      { paths: ["~/status/(?<code>\\d+)"], regex_priority: 6 },
      { paths: ["/status"], regex_priority: 100 },
    ]);
    expect(routeName(router, { path: "/status/200" })).toBe("r1");
    expect(routeName(router, { path: "/status/x" })).toBe("r2");
  });

  it("the longest prefix wins among prefix routes", () => {
    const router = routerOf([{ paths: ["/root"] }, { paths: ["/root/fixture"] }, { paths: ["/"] }]);
    expect(routeName(router, { path: "/root/fixture/get" })).toBe("r1");
    expect(routeName(router, { path: "/root/other" })).toBe("r0");
    expect(routeName(router, { path: "/elsewhere" })).toBe("r2");
  });

  it("host + path beats method + path only when hosts are plain (bit order)", () => {
    const router = routerOf([
      { methods: ["GET"], paths: ["/p"] },
      { hosts: ["h.test"], paths: ["/p"] },
    ]);
    expect(routeName(router, { host: "h.test", path: "/p" })).toBe("r1");
  });

  it("equal priorities: the greater route id wins (ATC router order)", () => {
    const config = loadConfig({
      _format_version: "3.0",
      services: [
        {
          name: "s",
          host: "u.test",
          routes: [
            { id: "00000000-0000-4000-8000-000000000001", name: "low", paths: ["/same"] },
            { id: "ffffffff-0000-4000-8000-000000000001", name: "high", paths: ["/same"] },
          ],
        },
      ],
    });
    expect(
      buildRouter(config).match({ method: "GET", host: "x", path: "/same", headers: {}, protocol: "http" })
        ?.route.name,
    ).toBe("high");
  });
});

describe("router: paths", () => {
  it("regex paths are anchored at the start, not at the end", () => {
    const router = routerOf([{ paths: ["~/v\\d+/items"] }]);
    expect(routeName(router, { path: "/v2/items/42" })).toBe("r0");
    expect(routeName(router, { path: "/api/v2/items" })).toBeNull();
  });

  it("exposes numbered and named uri captures", () => {
    const router = routerOf([{ paths: ["~/users/(?<user>[a-z]+)/orders/(\\d+)"] }]);
    const m = match(router, { path: "/users/alice/orders/42/items" });
    expect(m?.uriCaptures).toEqual({ "0": "/users/alice/orders/42", "1": "alice", "2": "42", user: "alice" });
    expect(m?.matchedPath).toBe("~/users/(?<user>[a-z]+)/orders/(\\d+)");
    expect(m?.strippedPrefix).toBe("/users/alice/orders/42");
    expect(m?.upstreamPath).toBe("/items");
  });

  it("prefix routes have no captures; matchedPath is the route path", () => {
    const router = routerOf([{ paths: ["/api"] }]);
    const m = match(router, { path: "/api/x" });
    expect(m?.uriCaptures).toBeNull();
    expect(m?.matchedPath).toBe("/api");
    expect(m?.strippedPrefix).toBe("/api");
  });

  it("among a route's paths, regexes are tried first, then the longest prefix", () => {
    const router = routerOf([{ paths: ["/a", "/a/b", "~/a/b/(\\d+)"] }]);
    expect(match(router, { path: "/a/b/7" })?.matchedPath).toBe("~/a/b/(\\d+)");
    expect(match(router, { path: "/a/b/c" })?.matchedPath).toBe("/a/b");
    expect(match(router, { path: "/a/c" })?.matchedPath).toBe("/a");
  });

  it.each([
    ["/a/../api/x", "/x"],
    ["/api/./x", "/x"],
    ["//api//x", "/x"],
    ["/%61pi/x", "/x"],
    ["/api/%7Euser", "/~user"],
    ["/api/a%2Fb", "/a%2Fb"],
    ["/api/a%2fb", "/a%2Fb"],
    ["/api/x?q=1&r=/api", "/x"],
    ["/api/hello%20world", "/hello%20world"],
  ])("normalizes %s before matching (upstream %s)", (path, upstream) => {
    const router = routerOf([{ paths: ["/api"] }]);
    expect(match(router, { path })?.upstreamPath).toBe(upstream);
  });

  it("dot segments cannot escape a prefix", () => {
    const router = routerOf([{ paths: ["/public"] }]);
    expect(routeName(router, { path: "/public/../admin" })).toBeNull();
  });
});

describe("router: headers", () => {
  it("names are case-insensitive; several values are alternatives; every name must match", () => {
    const router = routerOf([{ headers: { "X-Version": ["v1", "V2"], "x-env": ["prod"] } }]);
    expect(routeName(router, { path: "/", headers: { "x-version": "v2", "x-env": "PROD" } })).toBe("r0");
    expect(routeName(router, { path: "/", headers: { "x-version": "v1" } })).toBeNull();
    expect(routeName(router, { path: "/", headers: { "x-version": "v3", "x-env": "prod" } })).toBeNull();
  });

  it("~* values are case-insensitive regexes", () => {
    const router = routerOf([{ headers: { "user-agent": ["~*^curl/[0-9.]+$"] } }]);
    expect(routeName(router, { path: "/", headers: { "user-agent": "CURL/8.5.0" } })).toBe("r0");
    expect(routeName(router, { path: "/", headers: { "user-agent": "wget/1" } })).toBeNull();
  });

  it("any of a repeated header's values may match", () => {
    const router = routerOf([{ headers: { "x-tag": ["b"] } }]);
    expect(
      routeName(router, { path: "/", headers: { "x-tag": ["a", "b"] } as unknown as IncomingHttpHeaders }),
    ).toBe("r0");
  });
});

describe("router: what it does not route", () => {
  it("routes of a disabled service are skipped", () => {
    const config = loadConfig({
      _format_version: "3.0",
      services: [
        { name: "off", host: "u.test", enabled: false, routes: [{ name: "r-off", paths: ["/x"] }] },
        { name: "on", host: "u.test", routes: [{ name: "r-on", paths: ["/"] }] },
      ],
    });
    expect(
      buildRouter(config).match({ method: "GET", host: "h", path: "/x", headers: {}, protocol: "http" })
        ?.route.name,
    ).toBe("r-on");
  });

  it("snis never restrict plain http requests", () => {
    const router = routerOf([{ protocols: ["https"], snis: ["secure.test"], paths: ["/s"] }]);
    expect(routeName(router, { path: "/s" })).toBe("r0");
  });

  it("protocols are not a routing field (the proxy answers 426 for https-only routes)", () => {
    const router = routerOf([{ protocols: ["https"], paths: ["/only-https"] }]);
    const m = match(router, { path: "/only-https" });
    expect(m?.route.protocols).toEqual(["https"]);
  });

  it("a route without service matches with service null", () => {
    const config = loadConfig({ _format_version: "3.0", routes: [{ name: "lonely", paths: ["/l"] }] });
    const m = buildRouter(config).match({
      method: "GET",
      host: "h",
      path: "/l",
      headers: {},
      protocol: "http",
    });
    expect(m?.route.name).toBe("lonely");
    expect(m?.service).toBeNull();
  });
});

describe("router: cache", () => {
  it("repeated lookups answer the same shared, frozen result", () => {
    const router = routerOf([{ paths: ["~/u/(\\d+)"] }]);
    const a = match(router, { path: "/u/1" });
    expect(() => {
      (a as { upstreamPath: string }).upstreamPath = "/mutated";
    }).toThrow(TypeError);
    expect(() => {
      (a!.uriCaptures as Record<string, string>)["1"] = "2";
    }).toThrow(TypeError);
    const b = match(router, { path: "/u/1" });
    expect(b).toBe(a);
    expect(b?.upstreamPath).toBe("/");
    expect(b?.uriCaptures).toEqual({ "0": "/u/1", "1": "1" });
  });

  it("header values are part of the cache key", () => {
    const router = routerOf([{ headers: { "x-v": ["1"] } }, { paths: ["/"] }]);
    expect(routeName(router, { path: "/", headers: { "x-v": "1" } })).toBe("r0");
    expect(routeName(router, { path: "/", headers: { "x-v": "2" } })).toBe("r1");
    expect(routeName(router, { path: "/", headers: { "x-v": "1" } })).toBe("r0");
  });

  it("the linear reference router agrees on these cases", () => {
    const config = loadConfig(routesDoc([{ paths: ["/a"] }, { hosts: ["*.x.test"], paths: ["/a"] }]));
    const linear = buildLinearRouter(config);
    const indexed = buildRouter(config);
    for (const req of [
      { path: "/a/1", host: "b.x.test" },
      { path: "/a/1", host: "other" },
    ]) {
      expect(match(indexed, req)?.route.id).toBe(match(linear, req)?.route.id);
    }
  });
});

/**
 * Kong's path handling table (spec/fixtures/router_path_handling_tests.lua), re-expressed:
 * service path × route path × strip_path × path_handling × request path → upstream path.
 */
import { describe, expect, it } from "vitest";
import { parseDeclarativeConfig } from "../../../src/gateway/config/load.js";
import { buildRouter } from "../../../src/gateway/router/index.js";
import { upstreamPathFor } from "../../../src/gateway/router/upstream-path.js";

type Row = [string, string | null, boolean | "both", "v0" | "v1" | "both", string, string];

// service_path, route_path, strip_path, path_handling, request_path, expected_path
const ROWS: Row[] = [
  ["/", "/", "both", "both", "/", "/"],
  ["/", "/", "both", "both", "/route", "/route"],
  ["/", "/", "both", "both", "/route/", "/route/"],
  ["/", "/", "both", "both", "/routereq", "/routereq"],
  ["/", "/", "both", "both", "/route/req", "/route/req"],
  ["/", "/route", false, "both", "/route", "/route"],
  ["/", "/route", false, "both", "/route/", "/route/"],
  ["/", "/route", false, "both", "/routereq", "/routereq"],
  ["/", "/route", true, "both", "/route", "/"],
  ["/", "/route", true, "both", "/route/", "/"],
  ["/", "/route", true, "both", "/routereq", "/req"],
  ["/", "/route/", false, "both", "/route/", "/route/"],
  ["/", "/route/", false, "both", "/route/req", "/route/req"],
  ["/", "/route/", true, "both", "/route/", "/"],
  ["/", "/route/", true, "both", "/route/req", "/req"],
  ["/srv", "/rou", false, "v0", "/roureq", "/srv/roureq"],
  ["/srv", "/rou", false, "v1", "/roureq", "/srvroureq"],
  ["/srv", "/rou", true, "v0", "/roureq", "/srv/req"],
  ["/srv", "/rou", true, "v1", "/roureq", "/srvreq"],
  ["/srv/", "/rou", false, "both", "/rou", "/srv/rou"],
  ["/srv/", "/rou", true, "v0", "/rou", "/srv"],
  ["/srv/", "/rou", true, "v1", "/rou", "/srv/"],
  ["/service", "/", "both", "both", "/", "/service"],
  ["/service", "/", "both", "v0", "/route", "/service/route"],
  ["/service", "/", "both", "v1", "/route", "/serviceroute"],
  ["/service", "/", "both", "v0", "/route/", "/service/route/"],
  ["/service", "/", "both", "v1", "/route/", "/serviceroute/"],
  ["/service", "/", "both", "v0", "/routereq", "/service/routereq"],
  ["/service", "/", "both", "v1", "/routereq", "/serviceroutereq"],
  ["/service", "/", "both", "v0", "/route/req", "/service/route/req"],
  ["/service", "/", "both", "v1", "/route/req", "/serviceroute/req"],
  ["/service", "/route", false, "v0", "/route", "/service/route"],
  ["/service", "/route", false, "v1", "/route", "/serviceroute"],
  ["/service", "/route", false, "v0", "/route/", "/service/route/"],
  ["/service", "/route", false, "v1", "/route/", "/serviceroute/"],
  ["/service", "/route", false, "v0", "/routereq", "/service/routereq"],
  ["/service", "/route", false, "v1", "/routereq", "/serviceroutereq"],
  ["/service", "/route", true, "both", "/route", "/service"],
  ["/service", "/route", true, "both", "/route/", "/service/"],
  ["/service", "/route", true, "v0", "/routereq", "/service/req"],
  ["/service", "/route", true, "v1", "/routereq", "/servicereq"],
  ["/service", "/route/", false, "v0", "/route/", "/service/route/"],
  ["/service", "/route/", false, "v1", "/route/", "/serviceroute/"],
  ["/service", "/route/", false, "v0", "/route/req", "/service/route/req"],
  ["/service", "/route/", false, "v1", "/route/req", "/serviceroute/req"],
  // Kong 3's get_upstream_uri_v0 keeps the request's trailing slash when stripping leaves
  // nothing (`#req_uri > 1 and byte(req_uri, -1) == SLASH`); the older fixtures said
  // "/service" here and in the two "/service/" rows marked below. We follow the code.
  ["/service", "/route/", true, "v0", "/route/", "/service/"],
  ["/service", "/route/", true, "v1", "/route/", "/service"],
  ["/service", "/route/", true, "v0", "/route/req", "/service/req"],
  ["/service", "/route/", true, "v1", "/route/req", "/servicereq"],
  ["/service/", "/", false, "both", "/", "/service/"],
  ["/service/", "/", true, "v0", "/", "/service/"], // (see above)
  ["/service/", "/", true, "v1", "/", "/service/"],
  ["/service/", "/", "both", "both", "/route/", "/service/route/"],
  ["/service/", "/", "both", "both", "/route", "/service/route"],
  ["/service/", "/", "both", "both", "/routereq", "/service/routereq"],
  ["/service/", "/", "both", "both", "/route/req", "/service/route/req"],
  ["/service/", "/route", false, "both", "/route", "/service/route"],
  ["/service/", "/route", false, "both", "/route/", "/service/route/"],
  ["/service/", "/route", false, "both", "/routereq", "/service/routereq"],
  ["/service/", "/route", true, "v0", "/route", "/service"],
  ["/service/", "/route", true, "v1", "/route", "/service/"],
  ["/service/", "/route", true, "both", "/route/", "/service/"],
  ["/service/", "/route", true, "both", "/routereq", "/service/req"],
  ["/service/", "/route/", false, "both", "/route/", "/service/route/"],
  ["/service/", "/route/", false, "both", "/route/req", "/service/route/req"],
  ["/service/", "/route/", true, "v0", "/route/", "/service/"], // (see above)
  ["/service/", "/route/", true, "v1", "/route/", "/service/"],
  ["/service/", "/route/", true, "both", "/route/req", "/service/req"],
  // routes matching on host only (no paths)
  ["/", null, "both", "both", "/", "/"],
  ["/", null, "both", "both", "/route", "/route"],
  ["/", null, "both", "both", "/route/", "/route/"],
  ["/service", null, "both", "both", "/", "/service"],
  ["/service", null, "both", "v0", "/route", "/service/route"],
  ["/service", null, "both", "v1", "/route", "/serviceroute"],
  ["/service", null, "both", "v0", "/route/", "/service/route/"],
  ["/service", null, "both", "v1", "/route/", "/serviceroute/"],
  ["/service/", null, false, "both", "/", "/service/"],
  ["/service/", null, true, "v0", "/", "/service/"], // (see above)
  ["/service/", null, true, "v1", "/", "/service/"],
  ["/service/", null, "both", "both", "/route", "/service/route"],
  ["/service/", null, "both", "both", "/route/", "/service/route/"],
];

interface Case {
  servicePath: string;
  routePath: string | null;
  strip: boolean;
  handling: "v0" | "v1";
  request: string;
  expected: string;
}

function expand(rows: Row[]): Case[] {
  const out: Case[] = [];
  for (const [servicePath, routePath, strip, handling, request, expected] of rows) {
    for (const s of strip === "both" ? [false, true] : [strip]) {
      for (const h of handling === "both" ? (["v0", "v1"] as const) : [handling]) {
        out.push({ servicePath, routePath, strip: s, handling: h, request, expected });
      }
    }
  }
  return out;
}

const CASES = expand(ROWS);

describe("upstream path (Kong path handling table)", () => {
  it.each(CASES)(
    "service $servicePath, route $routePath, strip $strip, $handling: $request → $expected",
    ({ servicePath, routePath, strip, handling, request, expected }) => {
      const matched = routePath === null ? null : routePath;
      expect(upstreamPathFor(request, matched, strip, servicePath, handling)).toBe(expected);
    },
  );

  it("the router applies the same table end to end (one config, one route per case)", () => {
    const services = CASES.map((c, i) => ({
      name: `svc-${i}`,
      host: "upstream.test",
      path: c.servicePath,
      routes: [
        {
          name: `route-${i}`,
          hosts: [`case-${i}.test`],
          ...(c.routePath === null ? {} : { paths: [c.routePath] }),
          strip_path: c.strip,
          path_handling: c.handling,
        },
      ],
    }));
    const parsed = parseDeclarativeConfig({ _format_version: "3.0", services }, { plugins: () => undefined });
    if (!parsed.ok) throw new Error(parsed.error.message);
    const router = buildRouter(parsed.config);
    CASES.forEach((c, i) => {
      const m = router.match({
        method: "GET",
        host: `case-${i}.test`,
        path: c.request,
        headers: {},
        protocol: "http",
      });
      expect(m?.route.name, `case ${i}`).toBe(`route-${i}`);
      expect(m?.upstreamPath, `case ${i}: ${JSON.stringify(c)}`).toBe(c.expected);
    });
  });

  it("service.path null means '/'", () => {
    expect(upstreamPathFor("/api/users", "/api", true, null, "v0")).toBe("/users");
    expect(upstreamPathFor("/api", "/api", true, null, "v0")).toBe("/");
  });

  it("the issue's examples: service /v1 + route /api + strip", () => {
    expect(upstreamPathFor("/api/users", "/api", true, "/v1", "v0")).toBe("/v1/users");
    expect(upstreamPathFor("/api", "/api", true, "/v1", "v0")).toBe("/v1");
    expect(upstreamPathFor("/api/", "/api", true, "/v1", "v0")).toBe("/v1/");
  });
});

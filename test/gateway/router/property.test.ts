/**
 * The indexed router must answer exactly like the reference (every route tried in
 * priority order) on random route sets and random requests.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDeclarativeConfig } from "../../../src/gateway/config/load.js";
import { buildLinearRouter, buildRouter } from "../../../src/gateway/router/index.js";

const segment = fc.constantFrom("a", "ab", "api", "v1", "users", "x");
const plainPath = fc
  .array(segment, { minLength: 0, maxLength: 3 })
  .chain((segs) => fc.boolean().map((slash) => `/${segs.join("/")}${slash && segs.length > 0 ? "/" : ""}`));
const regexPath = fc.constantFrom(
  "~/abs?/x",
  "~/ap*i",
  "~/users/\\d+",
  "~/a(b)?/x",
  "~/v1/(?<id>[a-z]+)",
  "~/api|/x",
  "~/(a|ab)/users",
);
const host = fc.constantFrom("a.test", "b.test", "*.test", "a.*", "x.a.test", "a.test:8080");
const route = fc.record(
  {
    paths: fc.array(fc.oneof({ weight: 4, arbitrary: plainPath }, { weight: 1, arbitrary: regexPath }), {
      minLength: 1,
      maxLength: 3,
    }),
    hosts: fc.array(host, { minLength: 1, maxLength: 2 }),
    methods: fc.array(fc.constantFrom("GET", "POST"), { minLength: 1, maxLength: 2 }),
    headers: fc.constantFrom({ "x-v": ["1"] }, { "x-v": ["1", "2"], "x-w": ["a"] }, { "x-v": ["~*^[0-9]$"] }),
    regex_priority: fc.integer({ min: -2, max: 2 }),
    strip_path: fc.boolean(),
  },
  { requiredKeys: [] },
);

const request = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT"),
  host: fc.constantFrom("a.test", "b.test", "x.a.test", "a.org", "a.test:8080", "c.test"),
  path: fc.oneof(
    plainPath,
    fc.constantFrom(
      "/users/12",
      "/ab/x",
      "/a/x",
      "/ai",
      "/ab/x",
      "/a/x",
      "/v1/abc",
      "/x/../api",
      "//api",
      "/%61pi/v1",
      "/v1/abc?x=1",
    ),
  ),
  headers: fc.constantFrom({}, { "x-v": "1" }, { "x-v": "2", "x-w": "a" }, { "x-v": "7" }),
});

describe("indexed router ≡ linear reference", () => {
  it("same route and same upstream path for random routes and requests", () => {
    fc.assert(
      fc.property(
        fc.array(route, { minLength: 1, maxLength: 25 }),
        fc.array(request, { minLength: 1, maxLength: 20 }),
        (routes, requests) => {
          const doc = {
            _format_version: "3.0",
            services: [
              {
                name: "s",
                host: "u.test",
                path: "/base",
                routes: routes.map((r, i) => ({ name: `r${i}`, ...r })),
              },
            ],
          };
          const parsed = parseDeclarativeConfig(doc, { plugins: () => undefined });
          if (!parsed.ok) return; // e.g. a route with nothing to match on
          const indexed = buildRouter(parsed.config);
          const linear = buildLinearRouter(parsed.config);
          for (const r of requests) {
            const req = {
              method: r.method,
              host: r.host.split(":")[0]!,
              path: r.path,
              headers: { host: r.host, ...r.headers },
              protocol: "http" as const,
            };
            const a = indexed.match(req);
            const b = linear.match(req);
            expect(a?.route.id ?? null).toBe(b?.route.id ?? null);
            expect(a?.upstreamPath ?? null).toBe(b?.upstreamPath ?? null);
            expect(a?.uriCaptures ?? null).toEqual(b?.uriCaptures ?? null);
            // twice: the second answer comes from the cache
            expect(indexed.match(req)?.route.id ?? null).toBe(b?.route.id ?? null);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

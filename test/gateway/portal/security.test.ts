import { describe, expect, it } from "vitest";
import type { GatewayPluginEntry } from "../../../src/gateway/config/types.js";
import { pluginFor, routeSecurity } from "../../../src/gateway/portal/security.js";

const ROUTE = { id: "r1", service: "s1" };

function plugin(name: string, config: Record<string, unknown>, scope: Partial<GatewayPluginEntry> = {}) {
  return {
    id: `${name}-${scope.route ?? ""}-${scope.service ?? ""}`,
    name,
    enabled: true,
    config,
    service: null,
    route: null,
    consumer: null,
    protocols: ["http", "https"],
    tags: null,
    ...scope,
  } as GatewayPluginEntry;
}

describe("routeSecurity: what a route's authentication plugins ask of a caller", () => {
  it("key-auth: an apiKey in the header named by key_names[0]", () => {
    const s = routeSecurity({ plugins: [plugin("key-auth", { key_names: ["X-API-Key", "apikey"] })] }, ROUTE);
    expect(s.schemes).toEqual({
      "key-auth.X-API-Key": expect.objectContaining({ type: "apiKey", in: "header", name: "X-API-Key" }),
    });
    expect(s.requirement).toEqual([{ "key-auth.X-API-Key": [] }]);
    expect(s.plugins).toEqual(["key-auth"]);
  });

  it("key-auth with key_in_header off: the query parameter", () => {
    const s = routeSecurity(
      { plugins: [plugin("key-auth", { key_names: ["k"], key_in_header: false })] },
      ROUTE,
    );
    expect(s.schemes["key-auth.k"]).toMatchObject({ type: "apiKey", in: "query", name: "k" });
  });

  it("jwt: HTTP bearer JWT; a custom header: an apiKey there", () => {
    const s = routeSecurity({ plugins: [plugin("jwt", { header_names: ["authorization"] })] }, ROUTE);
    expect(s.schemes.jwt).toMatchObject({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
    const custom = routeSecurity({ plugins: [plugin("jwt", { header_names: ["x-token"] })] }, ROUTE);
    expect(custom.schemes["jwt.x-token"]).toMatchObject({ type: "apiKey", in: "header", name: "x-token" });
  });

  it("basic-auth: HTTP basic; hmac-auth: described, its algorithms named", () => {
    const s = routeSecurity(
      {
        plugins: [
          plugin("basic-auth", {}),
          plugin("hmac-auth", { algorithms: ["hmac-sha256"], enforce_headers: ["date"] }),
        ],
      },
      ROUTE,
    );
    expect(s.schemes["basic-auth"]).toMatchObject({ type: "http", scheme: "basic" });
    expect(s.schemes["hmac-auth"]).toMatchObject({ type: "apiKey", in: "header", name: "Authorization" });
    expect(s.schemes["hmac-auth"]?.description).toContain("hmac-sha256");
    // both plugins run: one requirement naming both
    expect(s.requirement).toEqual([{ "basic-auth": [], "hmac-auth": [] }]);
  });

  it("an anonymous consumer makes authentication optional: each scheme or none", () => {
    const s = routeSecurity(
      { plugins: [plugin("key-auth", { key_names: ["apikey"], anonymous: "guest" }), plugin("jwt", {})] },
      ROUTE,
    );
    expect(s.requirement).toEqual([{ jwt: [] }, { "key-auth.apikey": [] }, {}]);
  });

  it("no authentication plugin: no requirement; other plugins are not authentication", () => {
    const s = routeSecurity({ plugins: [plugin("cors", {}), plugin("rate-limiting", { minute: 5 })] }, ROUTE);
    expect(s).toEqual({ schemes: {}, requirement: [], plugins: [] });
  });

  it("scope: other routes' and services', disabled and consumer-scoped entries do not apply", () => {
    const s = routeSecurity(
      {
        plugins: [
          plugin("key-auth", {}, { route: "r2" }),
          plugin("jwt", {}, { service: "s2" }),
          plugin("basic-auth", {}, { enabled: false }),
          plugin("hmac-auth", {}, { consumer: "c1" }),
        ],
      },
      ROUTE,
    );
    expect(s.plugins).toEqual([]);
  });

  it("the most specific entry wins: route over service over global", () => {
    const plugins = [
      plugin("key-auth", { key_names: ["global"] }),
      plugin("key-auth", { key_names: ["service"] }, { service: "s1" }),
      plugin("key-auth", { key_names: ["route"] }, { route: "r1" }),
    ];
    expect(pluginFor(plugins, "key-auth", ROUTE)?.config.key_names).toEqual(["route"]);
    expect(pluginFor(plugins, "key-auth", { id: "r9", service: "s1" })?.config.key_names).toEqual([
      "service",
    ]);
    expect(pluginFor(plugins, "key-auth", { id: "r9", service: "s9" })?.config.key_names).toEqual(["global"]);
  });
});

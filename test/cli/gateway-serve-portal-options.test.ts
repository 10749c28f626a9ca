/** `stack gateway serve`'s developer portal settings: --portal-listen, then GATEWAY_*, then Kong's name. */
import { describe, expect, it } from "vitest";
import { serveOptions } from "../../src/cli/gateway-serve-options.js";
import { GatestackError } from "../../src/errors.js";

describe("the developer portal's settings", () => {
  it("off unless --portal-listen, GATEWAY_PORTAL_LISTEN or KONG_PORTAL_GUI_LISTEN name an address", () => {
    expect(serveOptions({}, {}).portalListen).toBeUndefined();
    expect(serveOptions({}, { KONG_PORTAL_GUI_LISTEN: "0.0.0.0:8003" }).portalListen).toEqual({
      host: "0.0.0.0",
      port: 8003,
    });
    const env = { GATEWAY_PORTAL_LISTEN: "127.0.0.1:9003", KONG_PORTAL_GUI_LISTEN: "0.0.0.0:8003" };
    expect(serveOptions({}, env).portalListen).toEqual({ host: "127.0.0.1", port: 9003 });
    expect(serveOptions({ "portal-listen": "off" }, env).portalListen).toBeNull();
  });

  it("GATEWAY_PORTAL_SPEC_PATH: where the apps serve their document; a bad value names the variable", () => {
    expect(serveOptions({}, {}).portal).toBeUndefined();
    expect(serveOptions({}, { GATEWAY_PORTAL_SPEC_PATH: "/api/openapi.json" }).portal).toEqual({
      specPath: "/api/openapi.json",
    });
    let error: unknown;
    try {
      serveOptions({}, { GATEWAY_PORTAL_SPEC_PATH: "openapi.json" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GatestackError);
    expect((error as GatestackError).place).toBe("GATEWAY_PORTAL_SPEC_PATH");
    expect((error as Error).message).toContain("/openapi.json");
  });

  it("a bad address names where it came from", () => {
    expect(() => serveOptions({}, { KONG_PORTAL_GUI_LISTEN: "0.0.0.0:99999" })).toThrow(/invalid port/);
  });
});

import { describe, expect, it } from "vitest";
import { ComposeModelError, parsePort, parseVolume } from "../../../src/runtime/compose/normalize.js";
import { parseComposeYaml } from "../../../src/runtime/compose/read-yaml.js";

describe("parsePort", () => {
  it("parses the short syntax variants", () => {
    expect(parsePort("80", "p")).toEqual([{ target: 80, protocol: "tcp", mode: "ingress" }]);
    expect(parsePort("8080:80", "p")).toEqual([
      { target: 80, published: "8080", protocol: "tcp", mode: "ingress" },
    ]);
    expect(parsePort("127.0.0.1:8080:80/udp", "p")).toEqual([
      { target: 80, published: "8080", host_ip: "127.0.0.1", protocol: "udp", mode: "ingress" },
    ]);
    expect(parsePort("[::1]:8080:80", "p")[0]?.host_ip).toBe("::1");
    expect(parsePort("127.0.0.1::80", "p")).toEqual([
      { target: 80, host_ip: "127.0.0.1", protocol: "tcp", mode: "ingress" },
    ]);
    expect(parsePort(3000, "p")).toEqual([{ target: 3000, protocol: "tcp" }]);
  });

  it("expands ranges", () => {
    expect(parsePort("9000-9001:80-81", "p").map((p) => `${p.published}:${p.target}`)).toEqual([
      "9000:80",
      "9001:81",
    ]);
  });

  it("rejects garbage with the path", () => {
    expect(() => parsePort("eighty", "services.a.ports[0]")).toThrow(ComposeModelError);
    expect(() => parsePort("1:2:3:4", "p")).toThrow(/invalid port/);
  });
});

describe("parseVolume", () => {
  it("tells binds from named volumes and reads modes", () => {
    expect(parseVolume("/data", "v")).toEqual({ type: "volume", target: "/data" });
    expect(parseVolume("data:/data", "v")).toEqual({ type: "volume", source: "data", target: "/data" });
    expect(parseVolume("./config/caddy/Caddyfile:/etc/caddy/Caddyfile:ro", "v")).toEqual({
      type: "bind",
      source: "./config/caddy/Caddyfile",
      target: "/etc/caddy/Caddyfile",
      read_only: true,
      bind: { create_host_path: true },
    });
    expect(parseVolume("~/x:/x:rw,z", "v").bind).toEqual({ create_host_path: true, selinux: "z" });
  });

  it("rejects unknown modes", () => {
    expect(() => parseVolume("./a:/a:bogus", "v")).toThrow(/bogus/);
  });
});

describe("parseComposeYaml", () => {
  it("names file:line:col on a syntax error", () => {
    try {
      parseComposeYaml("services:\n  a: [unclosed\n", "compose.yaml");
      expect.unreachable();
    } catch (err) {
      expect((err as { place: string }).place).toMatch(/^compose\.yaml:\d+:\d+$/);
    }
  });

  it("rejects duplicate keys", () => {
    expect(() => parseComposeYaml("a: 1\na: 2\n", "c.yaml")).toThrow();
  });
});

describe("parsePort ranges for one target", () => {
  it("keeps a published range for a single target (the engine picks a free port in it)", () => {
    expect(parsePort("9000-9001:90", "p")).toEqual([
      { target: 90, published: "9000-9001", protocol: "tcp", mode: "ingress" },
    ]);
    expect(() => parsePort("9000-9002:80-81", "p")).toThrow(/different sizes/);
  });
});

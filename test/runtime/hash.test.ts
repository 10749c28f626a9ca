import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson, mountedConfigHash, serviceConfigHash } from "../../src/runtime/hash.js";
import { projectFrom } from "./fixtures.js";

const yaml = (image: string, replicas = 1) => `
services:
  caddy:
    image: ${image}
    volumes: ["./config/caddy:/etc/caddy:ro", "./elsewhere:/x"]
    deploy: {replicas: ${replicas}}
    build: {context: .}
`;

describe("serviceConfigHash", () => {
  it("is stable, ignores key order, build and replicas, and changes with the config", async () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
    const a = await projectFrom(yaml("caddy:2.8"));
    const b = await projectFrom(yaml("caddy:2.8", 3));
    const c = await projectFrom(yaml("caddy:2.9"));
    try {
      const h = (p: typeof a) => serviceConfigHash(p.project, p.project.services.caddy!);
      expect(h(a)).toMatch(/^[0-9a-f]{64}$/);
      expect(h(a)).toBe(serviceConfigHash(a.project, a.project.services.caddy!));
      // Different temp dirs give different bind sources: compare b and c against their own twins.
      const b2 = { ...b.project.services.caddy!, replicas: 1, build: undefined };
      expect(serviceConfigHash(b.project, b2)).toBe(h(b));
      expect(serviceConfigHash(c.project, { ...c.project.services.caddy!, image: "caddy:2.8" })).not.toBe(
        h(c),
      );
    } finally {
      await Promise.all([a.cleanup(), b.cleanup(), c.cleanup()]);
    }
  });
});

describe("mountedConfigHash", () => {
  it("follows the content of bind-mounted files under config/ only", async () => {
    const p = await projectFrom(yaml("caddy:2.8"), {
      "config/caddy/Caddyfile": ":80 {\n}\n",
      "elsewhere/file": "x",
    });
    try {
      const svc = p.project.services.caddy!;
      const first = await mountedConfigHash(p.project, svc);
      expect(first).toMatch(/^[0-9a-f]{64}$/);
      await writeFile(path.join(p.dir, "elsewhere/file"), "changed");
      expect(await mountedConfigHash(p.project, svc)).toBe(first);
      await writeFile(path.join(p.dir, "config/caddy/Caddyfile"), ":81 {\n}\n");
      expect(await mountedConfigHash(p.project, svc)).not.toBe(first);
      expect(await mountedConfigHash(p.project, { ...svc, volumes: [] })).toBe("");
    } finally {
      await p.cleanup();
    }
  });
});

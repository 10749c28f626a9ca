import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CADDYFILE_PATH } from "../../src/render/caddyfile.js";
import { ALL_ADDONS, microservicesStack, monolithStack, stackMatrix } from "./fixtures.js";
import { artifact, artifactsOf, caddyEnv, mapLimit, tempDir } from "./support.js";

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("gatestack-caddy-");
});
afterAll(() => work.cleanup());

function caddyfileOf(stack: ReturnType<typeof monolithStack>): string {
  return artifact(artifactsOf(stack), CADDYFILE_PATH).content;
}

describe("Caddyfile checked by `caddy validate` (Debian caddy)", () => {
  it("every template / addon / engine / https combination is valid, formatted Caddy config", async () => {
    const matrix = stackMatrix();
    const results = await mapLimit(matrix, 2, async ({ label, stack }) => {
      const slug = label.replace(/[^a-z0-9]+/gi, "-");
      const file = join(work.dir, `${slug}.Caddyfile`);
      await writeFile(file, caddyfileOf(stack));
      // each validation its own data folder: two Caddys creating the internal CA in one folder race
      const home = join(work.dir, slug);
      await mkdir(home);
      const r = await execa("caddy", ["validate", "--adapter", "caddyfile", "--config", file], {
        reject: false,
        env: { ...caddyEnv(), HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
      });
      return { label, exitCode: r.exitCode, output: `${r.stdout}\n${r.stderr}` };
    });
    for (const r of results) {
      expect(r.exitCode, `${r.label}: ${r.output}`).toBe(0);
      expect(r.output, r.label).toContain("Valid configuration");
      expect(r.output, `${r.label} should be caddy-fmt formatted`).not.toContain("not formatted");
    }
  });
});

describe("Caddyfile content", () => {
  it("routes the tools behind basic auth with the bcrypt hash from .env, never a value", () => {
    const text = caddyfileOf(monolithStack({}, ALL_ADDONS));
    for (const path of ["/grafana", "/kibana", "/jenkins", "/prometheus"])
      expect(text).toContain(`${path}/* {`);
    expect(text.match(/\{\$TOOLS_BASICAUTH_USER\} \{\$TOOLS_BASICAUTH_HASH\}/g)).toHaveLength(4);
    expect(text).not.toContain(caddyEnv().TOOLS_BASICAUTH_HASH);
  });

  it("has no tool routes and no basic auth without addons", () => {
    const text = caddyfileOf(monolithStack());
    expect(text).not.toContain("basicauth");
    expect(text).not.toContain("/grafana");
  });

  it("picks the site address and TLS per https mode", () => {
    expect(caddyfileOf(monolithStack())).toMatch(/^localhost, 127\.0\.0\.1 \{\n\ttls internal$/m);
    // Clients connecting by IP send no SNI; without default_sni Caddy fails their handshake.
    expect(caddyfileOf(monolithStack())).toMatch(/^\tdefault_sni 127\.0\.0\.1$/m);
    expect(caddyfileOf(monolithStack({ https: "off" }))).not.toContain("default_sni");
    expect(caddyfileOf(monolithStack({ domain: "api.example.com" }))).not.toContain("default_sni");
    expect(caddyfileOf(monolithStack({ https: "off" }))).toMatch(/^:80 \{$/m);
    expect(caddyfileOf(monolithStack({ https: "off", domain: "api.example.com" }))).toMatch(
      /^http:\/\/api\.example\.com \{$/m,
    );
    const auto = caddyfileOf(monolithStack({ domain: "api.example.com" }));
    expect(auto).toMatch(/^api\.example\.com \{$/m);
    expect(auto).not.toContain("tls internal");
    expect(auto).toContain("Strict-Transport-Security");
    expect(caddyfileOf(monolithStack({ domain: "api.example.com", https: "internal" }))).toContain(
      "tls internal",
    );
    // HSTS on localhost would pin every local dev server to HTTPS; none without HTTPS either.
    expect(caddyfileOf(monolithStack())).not.toContain("Strict-Transport-Security");
    expect(caddyfileOf(monolithStack({ https: "off", domain: "api.example.com" }))).not.toContain(
      "Strict-Transport-Security",
    );
  });

  it("proxies to every gateway replica by container name with active health checks on the status port", () => {
    const text = caddyfileOf(microservicesStack({ gateway: { replicas: 3 } }));
    expect(text).toContain("to market-gateway-1:8000 market-gateway-2:8000 market-gateway-3:8000");
    expect(text).toContain("health_uri /status/ready");
    expect(text).toContain("health_port 8100");
  });

  it("redacts the API-key headers the key-auth plugins read from the access log", () => {
    const text = caddyfileOf(monolithStack());
    expect(text).toContain("request>headers>Apikey delete");
    expect(text).toContain("request>headers>X-Shop-Key delete");
  });

  it("redacts credential query arguments in the logged URI: base names and key_names as written and lowercased", () => {
    const text = caddyfileOf(monolithStack());
    const block = /request>uri query \{\n([^}]*)\}/.exec(text)?.[1] ?? "";
    const replaced = [...block.matchAll(/replace (\S+) REDACTED/g)].map((m) => m[1]);
    expect(replaced).toEqual(
      expect.arrayContaining(["apikey", "jwt", "access_token", "X-Shop-Key", "x-shop-key"]),
    );
  });
});

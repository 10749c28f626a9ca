/** `stack gateway validate FILE` through the real CLI (bin/run.js, built dist/). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";

const bin = new URL("../../../bin/run.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "gw-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const VALID = `_format_version: "3.0"
services:
  - name: orders
    url: http://orders:8080
    routes:
      - name: orders
        paths: [/orders]
    plugins:
      - name: key-auth
consumers:
  - username: demo
    keyauth_credentials:
      - key: "{vault://env/DEMO_API_KEY}"
`;

const INVALID = `_format_version: "3.0"
services:
  - name: orders
    port: 99999
    routes:
      - paths: [orders]
`;

describe("stack gateway validate", () => {
  it("valid file: exit 0, 'parse successful' and counts", async () => {
    const r = await execa(bin, ["gateway", "validate", file("ok.yml", VALID)], {
      reject: false,
      env: { DEMO_API_KEY: "k-123" },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("parse successful");
    expect(r.stdout).toContain("1 services, 1 routes");
    expect(r.stdout).toMatch(/configuration hash [0-9a-f]{32}/);
  });

  it("--json on success", async () => {
    const r = await execa(bin, ["gateway", "validate", file("ok2.yml", VALID), "--json"], {
      env: { DEMO_API_KEY: "k" },
    });
    expect(JSON.parse(r.stdout)).toMatchObject({
      message: "parse successful",
      format_version: "3.0",
      counts: { services: 1, routes: 1, consumers: 1, plugins: 1, credentials: 1 },
    });
  });

  it("invalid file: exit 1, every bad field with its line:col", async () => {
    const p = file("bad.yml", INVALID);
    const r = await execa(bin, ["gateway", "validate", p], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${p}:4:11  services[0].port: value should be between 0 and 65535`);
    expect(r.stderr).toContain(`${p}:3:5  services[0].host: required field missing`);
    expect(r.stderr).toContain(
      `${p}:6:17  services[0].routes[0].paths[0]: should start with: / (fixed path) or ~/ (regex path)`,
    );
    expect(r.stderr).toContain("invalid declarative configuration (3 errors)");
  });

  it("--json on failure prints Kong's error body", async () => {
    const r = await execa(bin, ["gateway", "validate", file("bad2.yml", INVALID), "--json"], {
      reject: false,
    });
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout) as { error: { code: string; data: Record<string, unknown> } };
    expect(out.error.code).toBe("E_GATEWAY_CONFIG");
    expect(out.error.data).toMatchObject({
      code: 14,
      name: "invalid declarative configuration",
      fields: { services: [{ port: "value should be between 0 and 65535", host: "required field missing" }] },
    });
    expect(Array.isArray(out.error.data.flattened_errors)).toBe(true);
  });

  it("vault references: unset variable fails, --env-file provides it", async () => {
    const p = file("vault.yml", VALID);
    const env = { ...process.env };
    delete env.DEMO_API_KEY;
    const missing = await execa(bin, ["gateway", "validate", p], { reject: false, env, extendEnv: false });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("environment variable DEMO_API_KEY is not set");
    const envFile = file(".env", "DEMO_API_KEY=from-env-file\n");
    const ok = await execa(bin, ["gateway", "validate", p, "--env-file", envFile], {
      reject: false,
      env,
      extendEnv: false,
    });
    expect(ok.exitCode).toBe(0);
  });

  it("an unknown plugin and a missing file", async () => {
    const r = await execa(
      bin,
      ["gateway", "validate", file("p.yml", `_format_version: "3.0"\nplugins:\n  - name: nope\n`)],
      {
        reject: false,
      },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(
      "plugins[0].name: plugin 'nope' not enabled; add it to the 'plugins' configuration property",
    );
    const m = await execa(bin, ["gateway", "validate", join(dir, "absent.yml")], { reject: false });
    expect(m.exitCode).toBe(1);
    expect(m.stderr).toContain("no such file");
  });

  it("an Enterprise plugin and oauth2 credentials say so, at their line (decK test data shapes)", async () => {
    const fixture = (name: string) =>
      new URL(`../../fixtures/deck-testdata/${name}`, import.meta.url).pathname;
    const ee = await execa(bin, ["gateway", "validate", fixture("ee-openid-connect-on-route.yaml")], {
      reject: false,
    });
    expect(ee.exitCode).toBe(1);
    expect(ee.stderr).toMatch(
      /ee-openid-connect-on-route\.yaml:9:\d+ {2}services\[0\]\.routes\[0\]\.plugins\[0\]\.name: plugin 'openid-connect' is a Kong Enterprise plugin; this gateway runs open-source Kong plugins only/,
    );
    const oauth = await execa(bin, ["gateway", "validate", fixture("dbless-oauth2.yaml")], { reject: false });
    expect(oauth.exitCode).toBe(1);
    expect(oauth.stderr).toContain(
      "plugins[0].name: plugin 'oauth2' needs a database (run the gateway in database mode): cannot create 'oauth2_tokens' entities when not using a database",
    );
    const ok = await execa(bin, ["gateway", "validate", fixture("oss-select-tags-info.yaml")], {
      reject: false,
    });
    expect(ok.exitCode).toBe(0);
  });

  it("--help says Kong Enterprise and Konnect features are refused, named as such", async () => {
    const r = await execa(bin, ["gateway", "validate", "--help"], { reject: false });
    expect(r.exitCode).toBe(0);
    const help = r.stdout.replace(/\s+/g, " ");
    expect(help).toContain(
      "Kong Enterprise and Konnect features are refused with a message naming them as such",
    );
    expect(help).toContain("consumer groups, mtls-auth credentials");
    expect(help).toContain("'_konnect'");
  });
});

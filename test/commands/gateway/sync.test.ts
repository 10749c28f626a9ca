/**
 * `stack gateway sync` and `stack gateway dump` through the real CLI (bin/run.js, built dist/)
 * against a real gateway in database mode on a real PostgreSQL: the printed plan, --dry-run,
 * --json, the token from GATEWAY_ADMIN_TOKEN, a conflict's exit code and message, dump -o.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { fetch } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { postgresPerFile } from "../../gateway/database/_support.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";

const bin = new URL("../../../bin/run.js", import.meta.url).pathname;
const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);
const dir = mkdtempSync(join(tmpdir(), "gw-sync-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = "cli-admin-token";
const FILE = join(dir, "kong.yml");
writeFileSync(
  FILE,
  `_format_version: "3.0"
services:
  - name: orders
    url: http://127.0.0.1:9/orders
    routes:
      - name: orders
        paths: [/orders]
consumers:
  - username: demo
`,
);

async function gateway() {
  const gw = await db.gateway(await db.freshDatabase(), { adminToken: TOKEN });
  return gw.adminUrl!;
}

const stack = (args: string[], env: Record<string, string> = {}) =>
  execa(bin, args, { reject: false, env: { NO_COLOR: "1", GATEWAY_ADMIN_TOKEN: TOKEN, ...env } });

describe("stack gateway sync / dump (CLI)", () => {
  it("--dry-run prints the plan; a sync applies it; a second one writes nothing", async () => {
    const admin = await gateway();
    const dry = await stack(["gateway", "sync", FILE, "--admin-url", admin, "--dry-run"]);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain("+ create services orders");
    expect(dry.stdout).toContain("+ create routes orders");
    expect(dry.stdout).toContain(
      "dry run: would be 3 created, 0 updated, 0 deleted, 0 unchanged; nothing written",
    );
    const services = await fetch(`${admin}/services`, { headers: { "kong-admin-token": TOKEN } });
    expect(((await services.json()) as { data: unknown[] }).data).toEqual([]);

    const run = await stack(["gateway", "sync", FILE, "--admin-url", admin]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("✓ 3 created, 0 updated, 0 deleted, 0 unchanged");
    const again = await stack(["gateway", "sync", FILE, "--admin-url", admin, "--json"]);
    expect(again.exitCode).toBe(0);
    const json = JSON.parse(again.stdout) as { writes: number; changes: unknown[]; selectTag: string };
    expect(json).toMatchObject({ writes: 0, changes: [], selectTag: "gatestack-managed" });
  }, 60_000);

  it("without the token: exit 1 saying the gateway requires one", async () => {
    const admin = await gateway();
    const r = await stack(["gateway", "sync", FILE, "--admin-url", admin], { GATEWAY_ADMIN_TOKEN: "" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("401");
    expect(r.stderr).toContain("--admin-token");
  }, 60_000);

  it("a name taken by an untagged entity: exit 1 naming it, nothing written", async () => {
    const admin = await gateway();
    const post = await fetch(`${admin}/consumers`, {
      method: "POST",
      headers: { "kong-admin-token": TOKEN, "content-type": "application/json" },
      body: JSON.stringify({ username: "demo" }),
    });
    expect(post.status).toBe(201);
    const r = await stack(["gateway", "sync", FILE, "--admin-url", admin]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("consumers demo");
    expect(r.stderr).toContain("username=demo");
    expect(r.stderr).toContain("nothing was written");
    const services = await fetch(`${admin}/services`, { headers: { "kong-admin-token": TOKEN } });
    expect(((await services.json()) as { data: unknown[] }).data).toEqual([]);
  }, 60_000);

  it("dump -o writes the live state; syncing that file changes nothing", async () => {
    const admin = await gateway();
    expect((await stack(["gateway", "sync", FILE, "--admin-url", admin])).exitCode).toBe(0);
    const out = join(dir, "dump.yaml");
    const d = await stack([
      "gateway",
      "dump",
      "--admin-url",
      admin,
      "-o",
      out,
      "--select-tag",
      "gatestack-managed",
    ]);
    expect(d.exitCode).toBe(0);
    expect(d.stderr).toContain("1 services, 1 routes, 1 consumers");
    const text = readFileSync(out, "utf8");
    expect(text.startsWith('_format_version: "3.0"\n')).toBe(true);
    const stdout = await stack([
      "gateway",
      "dump",
      "--admin-url",
      admin,
      "--select-tag",
      "gatestack-managed",
    ]);
    expect(stdout.stdout).toBe(text.trimEnd());
    const back = await stack(["gateway", "sync", out, "--admin-url", admin]);
    expect(back.stdout).toContain("✓ 0 created, 0 updated, 0 deleted, 3 unchanged");
  }, 60_000);
});

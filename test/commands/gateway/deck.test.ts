/**
 * `stack gateway diff`, `ping` and `convert` through the real CLI (bin/run.js, built dist/) against
 * REAL gateways on 127.0.0.1 random ports (DB-less, and in database mode on a real PostgreSQL):
 * the diff's lines and exit codes (0 equal, 2 different, 1 unreadable), --json, secrets never
 * printed; ping's version and mode, exit 1 when nothing answers; convert's `~` prefixes and
 * _format_version, to stdout and to a file, and its refusal of a 3.0 document. The stack-folder
 * forms (every replica of a running stack, found through Docker) run in the e2e suite.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { postgresPerFile } from "../../gateway/database/_support.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { startTestGateway } from "../../support/gateway.js";

const bin = new URL("../../../bin/run.js", import.meta.url).pathname;
const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);
const dir = mkdtempSync(join(tmpdir(), "gw-deck-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = "deck-cli-token";
const KEY = "very-secret-consumer-key";
const SERVED = `_format_version: "3.0"
services:
  - name: orders
    url: http://127.0.0.1:9/orders
    routes:
      - name: orders
        paths: [/orders]
consumers:
  - username: demo
    keyauth_credentials:
      - key: ${KEY}
`;
const WANTED = SERVED.replace("/orders\n    routes", "/v2/orders\n    routes").replace(
  "consumers:",
  "  - name: billing\n    url: http://127.0.0.1:9/billing\nconsumers:",
);

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function gateway(text: string): Promise<string> {
  const gw = await startTestGateway(text, { adminToken: TOKEN });
  cleanups.push(() => gw.close());
  return gw.adminUrl!;
}

const stack = (args: string[], env: Record<string, string> = {}) =>
  execa(bin, args, { reject: false, env: { NO_COLOR: "1", GATEWAY_ADMIN_TOKEN: TOKEN, ...env } });

describe("stack gateway diff FILE --admin-url (CLI)", () => {
  it("prints what differs, exit 2; the same file, exit 0; a secret is never printed", async () => {
    const admin = await gateway(SERVED);
    const wanted = file("wanted.yml", WANTED.replace(KEY, "another-secret-key"));
    const r = await stack(["gateway", "diff", wanted, "--admin-url", admin]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stdout).toContain(`~ ${admin}: 2 added, 1 changed, 1 removed`);
    expect(r.stdout).toContain("  + services billing");
    expect(r.stdout).toContain("  ~ services orders");
    expect(r.stdout).toContain('      path: "/orders" → "/v2/orders"');
    expect(r.stdout).toMatch(/ {2}- keyauth_credentials [0-9a-f-]{36}/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
    expect(`${r.stdout}${r.stderr}`).not.toContain("another-secret-key");

    const same = await stack(["gateway", "diff", file("served.yml", SERVED), "--admin-url", admin, "--json"]);
    expect(same.exitCode, same.stdout).toBe(0);
    const json = JSON.parse(same.stdout) as {
      different: boolean;
      mode: string;
      replicas: Array<{ equal: boolean }>;
    };
    expect(json).toMatchObject({ different: false, mode: "dbless", replicas: [{ equal: true }] });
  }, 60_000);

  it("a gateway that does not answer: exit 1 with the error; --admin-url without FILE is a usage error", async () => {
    const r = await stack(["gateway", "diff", file("x.yml", SERVED), "--admin-url", "http://127.0.0.1:9"]);
    expect(r.exitCode).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toContain("cannot reach the Admin API");
    const usage = await stack(["gateway", "diff", "--admin-url", "http://127.0.0.1:9", "--dir", dir]);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain("--admin-url needs a FILE");
  }, 60_000);

  it("database mode: only the tagged entities are the file's; one made through the Admin API is no difference", async () => {
    const gw = await db.gateway(await db.freshDatabase(), { adminToken: TOKEN });
    const admin = gw.adminUrl!;
    const served = file("db.yml", SERVED);
    expect((await stack(["gateway", "sync", served, "--admin-url", admin])).exitCode).toBe(0);
    const post = await fetch(`${admin}/consumers`, {
      method: "POST",
      headers: { "kong-admin-token": TOKEN, "content-type": "application/json" },
      body: JSON.stringify({ username: "made-by-hand" }),
    });
    expect(post.status).toBe(201);
    const r = await stack(["gateway", "diff", served, "--admin-url", admin, "--json"]);
    expect(r.exitCode, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: "database", different: false });
    const changed = await stack(["gateway", "diff", file("db2.yml", WANTED), "--admin-url", admin]);
    expect(changed.exitCode).toBe(2);
    expect(changed.stdout).toContain("+ services billing");
    expect(changed.stdout).not.toContain("made-by-hand");
  }, 60_000);
});

describe("stack gateway ping (CLI)", () => {
  it("says the version and the mode; --json; exit 1 when the Admin API does not answer", async () => {
    const admin = await gateway(SERVED);
    const r = await stack(["gateway", "ping", "--admin-url", admin]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^✓ ${admin.replace(/[.]/g, "\\.")}: version \\d+\\.\\d+\\.\\d+, DB-less, serves [0-9a-f]{12}$`,
      ),
    );
    const json = await stack(["gateway", "ping", "--admin-url", admin, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      replicas: [{ replica: admin, reachable: true, database: "off", adminAuth: "token" }],
    });
    const down = await stack(["gateway", "ping", "--admin-url", "http://127.0.0.1:9", "--json"]);
    expect(down.exitCode).toBe(1);
    expect(JSON.parse(down.stdout)).toMatchObject({
      ok: false,
      replicas: [{ reachable: false, error: { code: "E_GATEWAY_ADMIN" } }],
    });
    const refused = await stack(["gateway", "ping", "--admin-url", admin], { GATEWAY_ADMIN_TOKEN: "wrong" });
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain("401");
  }, 60_000);
});

const LEGACY = `# a Kong 2.x file
_format_version: "2.1"
services:
  - name: items
    url: http://127.0.0.1:9
    routes:
      - name: item
        paths:
          - /items/\\d+$   # one item
          - /items
          - ~/already$
routes:
  - name: top
    service: items
    paths: [/v(1|2)/health]
`;

describe("stack gateway convert (CLI)", () => {
  it("gives regex paths the ~ prefix and bumps _format_version, comments kept; the result validates", async () => {
    const input = file("legacy.yml", LEGACY);
    const r = await stack(["gateway", "convert", input]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('_format_version: "3.0"');
    expect(r.stdout).toContain("# a Kong 2.x file");
    expect(r.stdout).toContain("- ~/items/\\d+$ # one item");
    const doc = parseYaml(r.stdout) as {
      services: Array<{ routes: Array<{ paths: string[] }> }>;
      routes: Array<{ paths: string[] }>;
    };
    expect(doc.services[0]!.routes[0]!.paths).toEqual(["~/items/\\d+$", "/items", "~/already$"]);
    expect(doc.routes[0]!.paths).toEqual(["~/v(1|2)/health"]);
    expect(r.stderr).toContain("~ route item: /items/\\d+$ → ~/items/\\d+$");
    expect(r.stderr).toContain("~ route top: /v(1|2)/health → ~/v(1|2)/health");

    const out = join(dir, "converted.yml");
    const w = await stack(["gateway", "convert", input, "-o", out, "--json"]);
    expect(w.exitCode).toBe(0);
    expect(JSON.parse(w.stdout)).toMatchObject({ from: "2.1", to: "3.0", output: out });
    expect(readFileSync(out, "utf8")).toBe(`${r.stdout}\n`);
    const valid = await stack(["gateway", "validate", out]);
    expect(valid.exitCode, valid.stderr).toBe(0);
  }, 60_000);

  it("a 3.0 document is refused (exit 1, nothing written); JSON stays JSON", async () => {
    const out = join(dir, "never.yml");
    const r = await stack(["gateway", "convert", file("new.yml", SERVED), "-o", out]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('_format_version is "3.0"');
    expect(() => readFileSync(out)).toThrow();
    const json = await stack([
      "gateway",
      "convert",
      file(
        "legacy.json",
        JSON.stringify({ _format_version: "1.1", routes: [{ name: "r", paths: ["/a/.*"] }] }),
      ),
    ]);
    expect(JSON.parse(json.stdout)).toEqual({
      _format_version: "3.0",
      routes: [{ name: "r", paths: ["~/a/.*"] }],
    });
  }, 60_000);
});

describe("a stack folder with --in-network (the replicas by container name)", () => {
  it("diff, sync and ping name every replica of stack.yaml; none resolves here: exit 1, each one's error", async () => {
    const folder = join(dir, "shop");
    const init = await stack(["init", folder, "--template", "monolith", "--yes"]);
    expect(init.exitCode, init.stderr).toBe(0);
    const project = (parseYaml(readFileSync(join(folder, "stack.yaml"), "utf8")) as { name: string }).name;
    const diff = await stack(["gateway", "diff", "--dir", folder, "--in-network", "--json"]);
    expect(diff.exitCode, diff.stdout).toBe(1);
    const result = JSON.parse(diff.stdout) as {
      file: string;
      replicas: Array<{ replica: string; error?: { code: string; place?: string } }>;
    };
    expect(result.file).toMatch(/config\/gateway\/gateway\.yaml$/);
    expect(result.replicas.map((r) => r.replica)).toEqual(["gateway-1"]);
    expect(result.replicas[0]!.error).toMatchObject({
      code: "E_GATEWAY_ADMIN",
      place: `http://${project}-gateway-1:8001`,
    });
    const sync = await stack(["gateway", "sync", "--dir", folder, "--in-network"]);
    expect(sync.exitCode).toBe(1);
    expect(sync.stdout).toMatch(/^✗ gateway-1: POST \/config — cannot reach the Admin API/m);
    const ping = await stack(["gateway", "ping", "--dir", folder, "--in-network"]);
    expect(ping.exitCode).toBe(1);
    expect(ping.stdout).toContain("✗ gateway-1: cannot reach the Admin API");
  }, 120_000);
});

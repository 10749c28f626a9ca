import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** `stack import openapi` and `stack validate --openapi-file` through the built CLI, offline (files). */
const bin = new URL("../../bin/run.js", import.meta.url).pathname;
const stack = (args: string[], cwd: string) =>
  execa(process.execPath, [bin, ...args], { cwd, reject: false, env: { NO_COLOR: "1" } });

const STACK_YAML = `# stack.yaml, by hand
name: demo
template: monolith
services:
  - name: app # the FastAPI app
    routes:
      - name: api
        paths: [/api]
`;

const OPENAPI_YAML = `openapi: 3.1.0
info: {title: Items, version: "1"}
paths:
  /items/{item_id}:
    get:
      operationId: read_item
      tags: [items]
      parameters:
        - $ref: "#/components/parameters/ItemId"
      responses: {"200": {description: ok}}
components:
  parameters:
    ItemId: {name: item_id, in: path, required: true, schema: {type: integer}}
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatestack-import-cli-"));
  await writeFile(join(dir, "openapi.yaml"), OPENAPI_YAML);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stackDir(name: string): Promise<string> {
  const d = join(dir, name);
  await mkdir(join(d, "services", "app"), { recursive: true });
  await writeFile(join(d, "services", "app", "Dockerfile"), "FROM scratch\n");
  await writeFile(join(d, "stack.yaml"), STACK_YAML);
  await writeFile(join(d, ".env"), "GATEWAY_ADMIN_TOKEN=test-token\n");
  return d;
}

describe("stack import openapi", () => {
  it("--dry-run prints the unified diff and leaves stack.yaml byte-identical", async () => {
    const d = await stackDir("dry");
    const r = await stack(["import", "openapi", "../openapi.yaml", "--service", "app", "--dry-run"], d);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("--- a/stack.yaml\n+++ b/stack.yaml\n@@ -6,3 +6,14 @@\n");
    expect(r.stdout).toContain('+        paths: ["~/api/items/(?<item_id>[^#?/]+)$"]\n');
    expect(r.stdout).toContain("dry run, stack.yaml not written: 1 created, 0 updated, 0 unchanged");
    expect(await readFile(join(d, "stack.yaml"), "utf8")).toBe(STACK_YAML);
  });

  it("writes the routes, comments kept; --json reports them; the second run is unchanged", async () => {
    const d = await stackDir("write");
    const first = await stack(["import", "openapi", "../openapi.yaml", "-s", "app", "--json"], d);
    expect(first.exitCode).toBe(0);
    const json = JSON.parse(first.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      service: "app",
      openapi: "3.1.0",
      prefix: "/api",
      created: ["app-read-item"],
      written: true,
      dryRun: false,
    });
    expect(json.diff).toContain("+      - name: app-read-item\n");
    const text = await readFile(join(d, "stack.yaml"), "utf8");
    expect(text.startsWith("# stack.yaml, by hand\n")).toBe(true);
    expect(text).toContain("  - name: app # the FastAPI app\n");
    const second = await stack(["import", "openapi", "../openapi.yaml", "-s", "app"], d);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toContain("already up to date: 0 created, 0 updated, 1 unchanged");
    expect(await readFile(join(d, "stack.yaml"), "utf8")).toBe(text);
    // What it wrote is a valid stack.yaml.
    const validate = await stack(["validate", "--no-render-check"], d);
    expect(validate.exitCode).toBe(0);
  });

  it("a bad document: one line naming file:line:col, exit 1, stack.yaml untouched", async () => {
    const d = await stackDir("bad");
    await writeFile(
      join(d, "broken.yaml"),
      OPENAPI_YAML.replace("{name: item_id, in: path,", "{name: item_id, in: nowhere,"),
    );
    const r = await stack(["import", "openapi", "broken.yaml", "--service", "app"], d);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(
      /^✗ broken\.yaml:9:9: invalid OpenAPI document: #\/paths\/~1items~1\{item_id\}\/get\/parameters\/0\/in: must be equal to one of the allowed values$/,
    );
    expect(await readFile(join(d, "stack.yaml"), "utf8")).toBe(STACK_YAML);
  });

  it("an unknown service is a usage error (exit 2) with a suggestion", async () => {
    const d = await stackDir("unknown");
    const r = await stack(["import", "openapi", "../openapi.yaml", "--service", "apps"], d);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no service "apps" in stack.yaml — did you mean "app"?');
  });
});

describe("stack validate --openapi-file", () => {
  it("prints the findings as warnings in validate's format and still passes", async () => {
    const d = await stackDir("validate");
    await writeFile(
      join(d, "stack.yaml"),
      STACK_YAML.replace("paths: [/api]", "paths: [/api]\n        methods: [POST]"),
    );
    const r = await stack(["validate", "--no-render-check", "--openapi-file", "app=../openapi.yaml"], d);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(
      /^⚠ stack\.yaml:7:7: services\[0\]\.routes: operation GET \/items\/\{item_id\} \(read_item\) of \S*openapi\.yaml has no route/m,
    );
    expect(r.stderr).toContain(
      '⚠ stack.yaml:8:17: services[0].routes[0].paths[0]: route "api": no operation',
    );
    const json = await stack(
      ["validate", "--no-render-check", "--openapi-file", "app=../openapi.yaml", "--json"],
      d,
    );
    const report = JSON.parse(json.stdout) as { checks: string[]; warnings: unknown[] };
    expect(report.checks).toContain("openapi");
    expect(report.warnings).toHaveLength(2);
    const bad = await stack(["validate", "--no-render-check", "--openapi-file", "app"], d);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("--openapi-file expects SERVICE=FILE|URL");
  });
});

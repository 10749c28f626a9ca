import { realpathSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { stackSchemaCopyText } from "../../src/stack/json-schema.js";
import { PACKAGE_ROOT } from "../../src/stack/package-paths.js";

const bin = new URL("../../bin/run.js", import.meta.url).pathname;

// Each test spawns the CLI (a Node start-up each time): generous on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gs-cmd-init-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("✗"));

describe.concurrent("stack init: bad input writes nothing", () => {
  it("unknown template", async () => {
    const r = await execa(bin, ["init", "t1", "--template", "monolit", "--yes"], {
      cwd: root,
      reject: false,
    });
    expect(r.exitCode).toBe(2);
    expect(errorLines(r.stderr)).toEqual([
      '✗ --template: unknown template "monolit" — did you mean "monolith"? (templates: monolith, microservices)',
    ]);
    await expect(stat(join(root, "t1"))).rejects.toThrow();
  });

  it("bad domain", async () => {
    const r = await execa(bin, ["init", "t2", "--domain", "https://example.com", "--yes"], {
      cwd: root,
      reject: false,
    });
    expect(r.exitCode).toBe(2);
    expect(errorLines(r.stderr)).toEqual([
      '✗ --domain: must be a hostname such as localhost or api.example.com (got "https://example.com")',
    ]);
    await expect(stat(join(root, "t2"))).rejects.toThrow();
  });

  it("unknown addon", async () => {
    const r = await execa(bin, ["init", "t3", "--with", "prometheus,kibana", "--yes"], {
      cwd: root,
      reject: false,
    });
    expect(r.exitCode).toBe(2);
    expect(errorLines(r.stderr)).toEqual([
      '✗ --with: unknown addon "kibana" (addons: prometheus, grafana, elk, jenkins, or all)',
    ]);
    await expect(stat(join(root, "t3"))).rejects.toThrow();
  });

  it("non-empty folder without --force", async () => {
    const dir = join(root, "busy");
    await mkdir(dir);
    await writeFile(join(dir, "keep.txt"), "x");
    const r = await execa(bin, ["init", dir, "--yes"], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(errorLines(r.stderr)).toEqual([`✗ ${dir}: ${dir} is not empty (keep.txt)`]);
    expect(r.stderr).toContain("--force");
    expect(await readdir(dir)).toEqual(["keep.txt"]);
  });
});

describe("stack init", () => {
  it("creates, renders and validates a microservices stack with every addon (--json)", async () => {
    const r = await execa(
      bin,
      [
        "init",
        "shop",
        "-t",
        "microservices",
        "--with",
        "all",
        "--yes",
        "--http-port",
        "18080",
        "--https-port",
        "18443",
        "--json",
      ],
      { cwd: root },
    );
    const doc = JSON.parse(r.stdout) as {
      name: string;
      template: string;
      addons: string[];
      written: string[];
      rendered: string[];
      envVariables: string[];
      ports: { http: number; https: number };
    };
    expect(doc).toMatchObject({
      name: "shop",
      template: "microservices",
      addons: ["prometheus", "grafana", "elk", "jenkins"],
      ports: { http: 18080, https: 18443 },
    });
    expect(doc.written).toEqual([
      "stack.yaml",
      ".env",
      ".gitignore",
      ".gatestack/stack.schema.json",
      "services/catalog",
      "services/orders",
      "services/users",
    ]);
    expect(doc.rendered).toEqual(
      expect.arrayContaining(["compose.yaml", "config/caddy/Caddyfile", "config/gateway/gateway.yaml"]),
    );
    expect(doc.envVariables).toContain("DEMO_API_KEY");
    // No secret value in the JSON document.
    const env = await readFile(join(root, "shop", ".env"), "utf8");
    const token = /^GATEWAY_ADMIN_TOKEN=(.+)$/m.exec(env)![1]!;
    expect(r.stdout).not.toContain(token);
    expect((await stat(join(root, "shop", ".env"))).mode & 0o777).toBe(0o600);
    // The monitoring addon's prometheus plugin is added by render (the starter does not repeat it).
    const gateway = parse(await readFile(join(root, "shop", "config/gateway/gateway.yaml"), "utf8")) as {
      plugins: { name: string }[];
    };
    expect(gateway.plugins.map((p) => p.name)).toEqual(
      expect.arrayContaining(["correlation-id", "prometheus", "http-log"]),
    );

    const v = await execa(bin, ["validate", "--dir", "shop"], { cwd: root, reject: false });
    expect(v.stderr).toBe("");
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toMatch(/^✓ stack\.yaml is valid: 3 services, 3 routes, 1 consumer/);
  });

  it("human output names what was written and what to do next; --force re-inits", async () => {
    const r = await execa(bin, ["init", "mono", "--yes", "--http-port", "8080", "--https-port", "8443"], {
      cwd: root,
    });
    expect(r.stdout).toContain('✓ Created stack "mono" (monolith) in mono');
    expect(r.stdout).toContain("curl -k https://localhost:8443/api/health");
    const again = await execa(bin, ["init", "mono", "--yes"], { cwd: root, reject: false });
    expect(again.exitCode).toBe(1);
    const forced = await execa(bin, ["init", "mono", "--yes", "--force", "--no-render"], { cwd: root });
    expect(forced.stdout).toContain("services/app  (kept as it was)");
  });
});

describe("stack init writes no path of this machine", () => {
  /** Every file below dir, relative to it (the gateway's build context, a git-ignored copy, left out). */
  async function committableFiles(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .filter((path) => !path.startsWith(".gatestack/gateway/"))
      .sort();
  }

  it("names the schema relative to stack.yaml, writes it there, and no file holds the folder's or gatestack's path", async () => {
    const r = await execa(bin, ["init", "portable", "--yes", "--with", "all"], { cwd: root });
    expect(r.exitCode).toBe(0);
    const dir = join(root, "portable");
    const files = await committableFiles(dir);
    expect(files).toEqual(
      expect.arrayContaining(["stack.yaml", "compose.yaml", ".gatestack/stack.schema.json"]),
    );
    const machinePaths = [root, realpathSync(root), PACKAGE_ROOT.replace(/\/$/, "")];
    for (const file of files) {
      const text = await readFile(join(dir, file), "utf8");
      for (const machinePath of machinePaths)
        expect(text, `${file} names ${machinePath}`).not.toContain(machinePath);
    }

    const stackYaml = await readFile(join(dir, "stack.yaml"), "utf8");
    const ref = /^# yaml-language-server: \$schema=(\S+)$/m.exec(stackYaml)?.[1];
    expect(ref).toBe("./.gatestack/stack.schema.json");
    const schemaText = await readFile(join(dir, ref!), "utf8");
    expect(schemaText).toBe(stackSchemaCopyText());
    // The schema it names accepts the stack.yaml next to it (what an editor checks).
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(schemaText));
    expect(validate(parse(stackYaml)), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe("stack init on a terminal", () => {
  it("asks for template, name, domain and addons, re-asking after a bad answer", async () => {
    // `script` gives the CLI a real pseudo-terminal; the answers are typed ahead.
    const answers = ["monolit", "microservices", "tty-shop", "", "grafana", ""].join("\n");
    const r = await execa("script", ["-qec", `${bin} init tty --no-render`, "/dev/null"], {
      cwd: root,
      input: answers,
      reject: false,
    });
    expect(r.stdout).toContain("choose monolith or microservices");
    expect(r.stdout).toContain('✓ Created stack "tty-shop" (microservices with prometheus, grafana) in tty');
    const text = await readFile(join(root, "tty", "stack.yaml"), "utf8");
    expect(text).toMatch(/^name: tty-shop$/m);
    expect(text).toMatch(/^domain: localhost$/m);
    expect(text).toMatch(/^ {2}grafana: true$/m);
  });
});

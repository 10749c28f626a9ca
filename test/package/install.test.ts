import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../render/support.js";

/**
 * The install the README documents, for real: `npm pack` this package, `npm install -g` the tarball
 * into a temporary prefix, then run the installed `stack`. The dependencies come from the npm cache
 * `npm ci` filled (--prefer-offline). `npm pack` runs with --ignore-scripts: its `prepare` would
 * rebuild dist/ in this shared tree (the suite runs against a fresh build, see global-setup.ts); an
 * install from the tarball never runs `prepare`, so dist/ must be, and is checked to be, in it.
 */
const repo = new URL("../..", import.meta.url).pathname;
const version = (JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as { version: string })
  .version;

let work: { dir: string; cleanup: () => Promise<void> };
let packed: string[] = [];
let prefix = "";
let installed = "";

/** Runs the installed `stack` with the prefix's bin first on PATH. */
const stack = (cwd: string, ...args: string[]) =>
  execa(join(prefix, "bin", "stack"), args, {
    cwd,
    reject: false,
    env: { PATH: `${join(prefix, "bin")}:${process.env.PATH ?? ""}`, NO_COLOR: "1" },
  });

beforeAll(async () => {
  work = await tempDir("gatestack-install-");
  const pack = await execa("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work.dir], {
    cwd: repo,
  });
  const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = info!.files.map((f) => f.path).sort();
  prefix = join(work.dir, "prefix");
  await execa(
    "npm",
    [
      "install",
      "--global",
      "--prefix",
      prefix,
      join(work.dir, info!.filename),
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
    ],
    { cwd: work.dir },
  );
  installed = join(prefix, "lib", "node_modules", "gatestack");
}, 240_000);
afterAll(() => work.cleanup());

describe(`the packed tarball gatestack-${version}.tgz`, () => {
  it("carries the compiled CLI, the gateway Dockerfile, starters, templates and the schema — no sources", () => {
    for (const path of [
      "bin/run.js",
      "dist/commands/init.js",
      "dist/commands/gateway/serve.js",
      "oclif.manifest.json",
      "Dockerfile",
      "schema/stack.schema.json",
      "stacks/monolith/services/app/main.py",
      "stacks/_shared/service/Dockerfile",
      "test/e2e/images/build-offline.sh",
      "package.json",
    ]) {
      expect(packed, path).toContain(path);
    }
    expect(packed.some((p) => p.startsWith("templates/"))).toBe(true);
    // Every file package.json points at is shipped.
    const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
      bin: Record<string, string>;
      main?: string;
      exports?: Record<string, string>;
    };
    expect(manifest.exports?.["./gateway"]).toBe("./dist/gateway/index.js");
    for (const target of [
      ...Object.values(manifest.bin),
      ...(manifest.main ? [manifest.main] : []),
      ...Object.values(manifest.exports ?? {}),
    ])
      expect(packed, target).toContain(target.replace(/^\.\//, ""));
    const unexpected = packed.filter(
      (p) =>
        /^(src|bench|docs|node_modules|scripts)\//.test(p) ||
        (p.startsWith("test/") && !p.startsWith("test/e2e/images/")),
    );
    expect(unexpected).toEqual([]);
  });
});

describe("gatestack installed globally from the tarball", () => {
  it("its gateway entry imports by package name (gatestack/gateway, the exports map)", async () => {
    // a module next to the global node_modules resolves the installed package by name
    const r = await execa(
      "node",
      [
        "--input-type=module",
        "-e",
        `const m = await import("gatestack/gateway");
         console.log(JSON.stringify({ at: import.meta.resolve("gatestack/gateway"), start: typeof m.startGateway,
           error: typeof m.GatewayError, version: m.GATESTACK_VERSION }))`,
      ],
      { cwd: join(prefix, "lib"), reject: false },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      at: pathToFileURL(join(installed, "dist/gateway/index.js")).href,
      start: "function",
      error: "function",
      version,
    });
  });

  it("runs `stack --help`", async () => {
    const r = await stack(work.dir, "--help");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`gatestack/${version}`);
    for (const command of ["init", "render", "up", "validate"])
      expect(r.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
  });

  it("creates a stack with `stack init --yes` and renders it with `stack render`, naming no machine path", async () => {
    const projects = join(work.dir, "projects");
    await mkdir(projects);
    const init = await stack(projects, "init", "shop", "--yes", "--no-render");
    expect(init.exitCode, init.stderr).toBe(0);
    const dir = join(projects, "shop");
    const render = await stack(dir, "render");
    expect(render.exitCode, render.stderr).toBe(0);
    expect(render.stdout).toMatch(/created\s+compose\.yaml/);
    const validate = await stack(dir, "validate");
    expect(validate.exitCode, validate.stderr).toBe(0);

    const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)));
    expect(files).toEqual(
      expect.arrayContaining([
        "stack.yaml",
        "compose.yaml",
        "config/gateway/gateway.yaml",
        ".gatestack/stack.schema.json",
        ".gatestack/gateway/Dockerfile",
        ".gatestack/gateway/dist/commands/gateway/serve.js",
      ]),
    );
    // The gateway's build context is the installed package as npm packed it (source maps left out).
    const context = files
      .filter((f) => f.startsWith(".gatestack/gateway/"))
      .map((f) => f.slice(".gatestack/gateway/".length))
      .sort();
    const expected = [
      ".gitignore",
      ...packed.filter((p) => !p.endsWith(".map") && !/^(README\.md|LICENSE)$/.test(p)),
    ].sort();
    expect(context).toEqual(expected);
    expect(await readFile(join(dir, ".gatestack/gateway/Dockerfile"), "utf8")).toBe(
      await readFile(join(installed, "Dockerfile"), "utf8"),
    );
    expect(await readFile(join(dir, "stack.yaml"), "utf8")).toMatch(
      /^# yaml-language-server: \$schema=\.\/\.gatestack\/stack\.schema\.json$/m,
    );
    for (const file of files.filter((f) => !f.startsWith(".gatestack/gateway/"))) {
      const text = await readFile(join(dir, file), "utf8");
      expect(text, file).not.toContain(work.dir);
    }
  });
});

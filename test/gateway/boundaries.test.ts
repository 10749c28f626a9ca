/**
 * The gateway is a package of its own: nothing under src/gateway/ imports from outside it but
 * src/version.ts (the version it reports). The CLI layers (src/commands, src/cli, src/stack,
 * src/render, src/runtime, src/health) and the CLI's errors (src/errors.ts: exit codes) stay out;
 * the gateway throws its own errors (src/gateway/errors.ts) and the CLI translates them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
const GATEWAY = join(ROOT, "src/gateway");
const ALLOWED_OUTSIDE = new Set(["src/version.ts"]);

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

/** Every relative module a file names: static imports, re-exports, `import()` and `import type`. */
function relativeImports(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return info.importedFiles.map((f) => f.fileName).filter((name) => name.startsWith("."));
}

/** The repository path a relative specifier lands on (`./x.js` names `./x.ts`). */
function target(file: string, specifier: string): string {
  return relative(ROOT, resolve(dirname(file), specifier)).replace(/\.js$/, ".ts");
}

const files = sources(GATEWAY);
const leaving = files.flatMap((file) =>
  relativeImports(file)
    .map((s) => ({ file: relative(ROOT, file), to: target(file, s) }))
    .filter(({ to }) => !to.startsWith("src/gateway/")),
);

describe("src/gateway/ imports nothing from outside it", () => {
  it("finds the gateway's sources and their imports", () => {
    expect(files.length).toBeGreaterThan(100);
    // the scan sees imports that leave: the version is one
    expect(leaving).toContainEqual({ file: "src/gateway/server.ts", to: "src/version.ts" });
  });

  it("only src/version.ts is imported from outside src/gateway/", () => {
    const refused = leaving.filter(({ to }) => !ALLOWED_OUTSIDE.has(to));
    expect(refused).toEqual([]);
  });
});

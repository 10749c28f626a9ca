/**
 * ARCHITECTURE.md stays true: every file or folder it names in backticks exists (paths relative to
 * the repository, or to src/gateway/ for the gateway's table), and every function it names as where
 * something enters is exported or defined where it says.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("..", import.meta.url).pathname;
const text = readFileSync(join(ROOT, "ARCHITECTURE.md"), "utf8");

/** Backticked words that look like paths (a slash or a file extension), per line. */
function namedPaths(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/`([^`\s]+)`/g)) {
    // a placeholder folder stands for any one of its kind: check one that exists
    const word = m[1]!
      .replace(/[(),:]+$/, "")
      .replace("plugins/<name>/", "plugins/key-auth/")
      .replace("entities/<kind>.ts", "entities/routes.ts");
    if (!/\/|\.(ts|md|json|mjs|js)$/.test(word)) continue;
    if (/[<>*{}]|^https?:|^--|^\.\.|:\/\//.test(word)) continue; // placeholders, URLs, flags
    out.push(word);
  }
  return out;
}

/** Folders names are written relative to: the repository, src/, the gateway. */
const BASES = ["", "src/", "src/gateway/"];

/** The paths a line names that exist nowhere: relative to a base or to a folder named earlier on the line. */
function missingOn(line: string): string[] {
  const folders = [...BASES];
  const missing: string[] = [];
  for (const name of namedPaths(line)) {
    const found = folders.map((f) => join(f, name)).find((p) => existsSync(join(ROOT, p)));
    if (found === undefined) missing.push(name);
    else if (name.endsWith("/")) folders.push(`${found}/`, `${dirname(found)}/`);
  }
  return missing;
}

describe("ARCHITECTURE.md", () => {
  it("names only paths that exist", () => {
    // a table row, or a bullet with its continuation lines
    const lines = text.split(/\n(?! {2})/);
    expect(lines.flatMap(namedPaths).length).toBeGreaterThan(30);
    expect(lines.flatMap(missingOn)).toEqual([]);
  });

  it("the entry points it names are in the files it says", () => {
    const defined = (file: string, name: string) =>
      new RegExp(`(function|class|const|async)\\s+\\*?${name}\\b|\\b${name}\\s*\\(`).test(
        readFileSync(join(ROOT, file), "utf8"),
      );
    expect(defined("src/gateway/server.ts", "startGateway")).toBe(true);
    expect(defined("src/gateway/server.ts", "applyNow")).toBe(true);
    expect(defined("src/gateway/database-mode.ts", "catchUp")).toBe(true);
    expect(defined("src/gateway/generations.ts", "swapIn")).toBe(true);
    expect(defined("src/render/index.ts", "planRender")).toBe(true);
    expect(defined("src/gateway/config/load.ts", "parseDeclarativeConfig")).toBe(true);
  });
});

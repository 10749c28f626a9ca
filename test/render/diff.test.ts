import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { unifiedDiff } from "../../src/render/diff.js";

/** Apply a diff with GNU patch: the real consumer of the format. */
async function applyWithPatch(oldText: string, diff: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gatestack-diff-"));
  try {
    const file = join(dir, "file.txt");
    await writeFile(file, oldText);
    await execa("patch", ["--quiet", "--force", file], { input: diff });
    return await readFile(file, "utf8");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("unifiedDiff", () => {
  it("is empty for equal texts", () => {
    expect(unifiedDiff("a\nb\n", "a\nb\n", "a/x", "b/x")).toBe("");
  });

  it("writes git-style headers and hunks with three lines of context", () => {
    const before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
    const after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
    expect(unifiedDiff(before, after, "a/f", "b/f")).toBe(
      ["--- a/f", "+++ b/f", "@@ -2,7 +2,7 @@", " 2", " 3", " 4", "-5", "+five", " 6", " 7", " 8", ""].join(
        "\n",
      ),
    );
  });

  it("shows a created file against /dev/null", () => {
    expect(unifiedDiff("", "x\ny\n", "/dev/null", "b/f")).toBe(
      "--- /dev/null\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n+y\n",
    );
  });

  it("marks a missing final newline", () => {
    expect(unifiedDiff("a\n", "a", "a/f", "b/f")).toContain("\\ No newline at end of file");
  });

  it("keeps hunks small in large files (one changed line among 3,000 on each side of another)", async () => {
    const lines = Array.from({ length: 6000 }, (_, i) => `line ${i}\n`);
    const before = lines.join("");
    const after = [
      ...lines.slice(0, 1000),
      "changed\n",
      ...lines.slice(1001, 5000),
      "also\n",
      ...lines.slice(5001),
    ].join("");
    const diff = unifiedDiff(before, after, "a/big", "b/big");
    expect(diff.match(/^@@ .* @@$/gm)).toEqual(["@@ -998,7 +998,7 @@", "@@ -4998,7 +4998,7 @@"]);
    expect(diff.split("\n").filter((l) => l.startsWith("-") && !l.startsWith("---"))).toEqual([
      "-line 1000",
      "-line 5000",
    ]);
    expect(await applyWithPatch(before, diff)).toBe(after);
  });

  it("produces patches GNU patch applies exactly (random line edits)", async () => {
    const line = fc.constantFrom("alpha", "beta", "gamma", "delta", "", "  indented", "x: 1");
    const text = fc.array(line, { maxLength: 30 }).map((ls) => ls.map((l) => `${l}\n`).join(""));
    await fc.assert(
      fc.asyncProperty(text, text, async (a, b) => {
        const diff = unifiedDiff(a, b, "a/file.txt", "b/file.txt");
        if (a === b) return diff === "";
        return (await applyWithPatch(a, diff)) === b;
      }),
      { numRuns: 40 },
    );
  });
});

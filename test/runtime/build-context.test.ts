import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextEntries, packContext } from "../../src/runtime/build-context.js";

let dir: string;
const long = `${"deep/".repeat(25)}file.txt`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "gs-ctx-"));
  const files: Record<string, string> = {
    Dockerfile: "FROM scratch\n",
    ".dockerignore": "Dockerfile\n.dockerignore\nnode_modules\n*.log\n.env\ndocs/**\n!docs/keep.md\n",
    "main.py": "print('hi')\n",
    ".env": "SECRET=1\n",
    "debug.log": "x",
    "node_modules/pkg/index.js": "x",
    "docs/skip.md": "x",
    "docs/keep.md": "keep",
    [long]: "long path content",
  };
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  await symlink("main.py", path.join(dir, "link.py"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("build context", () => {
  it("applies .dockerignore (with exceptions) but always sends the Dockerfile and .dockerignore", async () => {
    const names = (await contextEntries(dir)).map((e) => e.name);
    expect(names).toContain("Dockerfile");
    expect(names).toContain(".dockerignore");
    expect(names).toContain("main.py");
    expect(names).toContain("docs/keep.md");
    expect(names).toContain(long);
    for (const gone of [".env", "debug.log", "node_modules/pkg/index.js", "docs/skip.md"])
      expect(names).not.toContain(gone);
  });

  it("produces a tar archive that tar(1) reads back, long names and symlinks included", async () => {
    const { stream } = await packContext(dir);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const archive = Buffer.concat(chunks);
    expect(archive.length % 512).toBe(0);
    const listing = execFileSync("tar", ["-tvf", "-"], { input: archive }).toString();
    expect(listing).toContain(long);
    expect(listing).toMatch(/link\.py -> main\.py/);
    const out = await mkdtemp(path.join(tmpdir(), "gs-ctx-out-"));
    try {
      execFileSync("tar", ["-xf", "-", "-C", out], { input: archive });
      expect(execFileSync("cat", [path.join(out, long)]).toString()).toBe("long path content");
      expect(execFileSync("cat", [path.join(out, "docs/keep.md")]).toString()).toBe("keep");
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

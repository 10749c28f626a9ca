/**
 * command-snapshot.json is the CLI's surface (commands, flags, aliases, plugins): this fails on any
 * difference, so adding, removing or renaming a command or flag is a deliberate, reviewed change —
 * `npm run snapshot:update` regenerates the file.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type CommandSnapshotEntry, commandSnapshot } from "../../src/cli/command-snapshot.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("command-snapshot.json", () => {
  it("matches the commands and flags of the built CLI (else: npm run snapshot:update)", async () => {
    const committed = JSON.parse(
      await readFile(new URL("../../command-snapshot.json", import.meta.url), "utf8"),
    ) as CommandSnapshotEntry[];
    const current = await commandSnapshot(root);
    const byId = (list: CommandSnapshotEntry[]) => new Map(list.map((e) => [e.command, e]));
    const was = byId(committed);
    const now = byId(current);
    const added = [...now.keys()].filter((id) => !was.has(id));
    const removed = [...was.keys()].filter((id) => !now.has(id));
    const hint =
      "the CLI changed: if on purpose, run `npm run snapshot:update` and commit command-snapshot.json";
    expect({ added, removed }, hint).toEqual({ added: [], removed: [] });
    for (const [id, entry] of now) expect(entry, `${id}: ${hint}`).toEqual(was.get(id));
  });

  it("lists the standard oclif plugins' commands next to the stack's own", async () => {
    const current = await commandSnapshot(root);
    const plugin = (id: string) => current.find((e) => e.command === id)?.plugin;
    expect(plugin("help")).toBe("@oclif/plugin-help");
    expect(plugin("version")).toBe("@oclif/plugin-version");
    expect(plugin("autocomplete")).toBe("@oclif/plugin-autocomplete");
    expect(plugin("render")).toBe("gatestack");
    const render = current.find((e) => e.command === "render");
    expect(render?.flags).toEqual(expect.arrayContaining(["dir", "json", "check", "dry-run"]));
    expect(render?.flagChars).toContain("d");
  });
});

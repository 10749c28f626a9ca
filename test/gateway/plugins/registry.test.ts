/**
 * Plugin discovery: bundled folders, third-party folders dropped in a directory,
 * broken folders reported (never fatal), folders without index skipped.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BUNDLED_PLUGIN_NAMES } from "../../../src/gateway/plugins/bundled.js";
import { loadPluginRegistry } from "../../../src/gateway/plugins/registry.js";

const root = mkdtempSync(join(tmpdir(), "gw-plugins-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A plugin module without dependencies (duck-typed zod-like schema). */
function pluginSource(name: string, priority: number): string {
  return `export default {
  name: ${JSON.stringify(name)},
  priority: ${priority},
  version: "0.0.1",
  configSchema: { safeParse: (v) => ({ success: true, data: v ?? {} }) },
  create: () => ({}),
};
`;
}

function folder(dir: string, name: string, files: Record<string, string>): string {
  const p = join(dir, name);
  mkdirSync(p, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(p, f), text);
  return p;
}

describe("plugin registry", () => {
  const extra = join(root, "extra");
  folder(extra, "hello-header", { "index.mjs": pluginSource("hello-header", 5000) });
  folder(extra, "low-prio", { "index.js": pluginSource("low-prio", 1) });
  folder(extra, "broken", { "index.mjs": "throw new Error('boom at import');" });
  folder(extra, "not-a-plugin", { "index.mjs": "export default { hello: 1 };" });
  folder(extra, "misnamed", { "index.mjs": pluginSource("other-name", 10) });
  folder(extra, "no-index", { "README.md": "nothing to load" });
  folder(extra, "_private", { "index.mjs": "throw new Error('must not be imported');" });
  const single = folder(root, "single-plugin", { "index.mjs": pluginSource("single-plugin", 20) });

  it("loads third-party folders and reports broken ones without failing", async () => {
    const seen: string[] = [];
    const reg = await loadPluginRegistry([extra, single], {
      bundled: false,
      onProblem: (p) => seen.push(p.message),
    });
    expect(reg.names()).toEqual(["hello-header", "low-prio", "single-plugin"]);
    expect(reg.definitions().map((d) => d.name)).toEqual(["hello-header", "single-plugin", "low-prio"]);
    expect(reg.get("hello-header")?.priority).toBe(5000);
    expect(reg.get("broken")).toBeUndefined();
    const problems = Object.fromEntries(reg.problems.map((p) => [p.dir.split("/").pop(), p.message]));
    expect(problems.broken).toMatch(/^failed to load: boom at import/);
    expect(problems["not-a-plugin"]).toBe("plugin definition has no 'name'");
    expect(problems.misnamed).toBe("plugin name 'other-name' does not match its folder name 'misnamed'");
    expect(problems).not.toHaveProperty("no-index");
    expect(problems).not.toHaveProperty("_private");
    expect(seen).toHaveLength(reg.problems.length);
  });

  it("a missing extra directory is reported", async () => {
    const reg = await loadPluginRegistry([join(root, "does-not-exist")], { bundled: false });
    expect(reg.names()).toEqual([]);
    expect(reg.problems[0]?.message).toBe("plugin directory does not exist");
  });

  it("bundled plugins are discovered from their folders; bundled names win clashes", async () => {
    const clash = join(root, "clash");
    folder(clash, "key-auth", { "index.mjs": pluginSource("key-auth", 1) });
    const reg = await loadPluginRegistry([clash]);
    const loaded = reg.names().filter((n) => (BUNDLED_PLUGIN_NAMES as readonly string[]).includes(n));
    expect(loaded.length).toBeGreaterThan(0);
    for (const name of loaded) expect(reg.get(name)?.name).toBe(name);
    if (reg.get("key-auth")) {
      expect(reg.get("key-auth")?.priority).toBe(1250);
      expect(reg.problems.some((p) => p.message.includes("already provided"))).toBe(true);
    }
    const priorities = reg.definitions().map((d) => d.priority);
    expect([...priorities].sort((a, b) => b - a)).toEqual(priorities);
  });
});

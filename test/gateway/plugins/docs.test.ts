/** docs/plugins.md is generated from the plugin schemas and must be current. */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { BUNDLED_PLUGIN_NAMES } from "../../../src/gateway/plugins/bundled.js";
import { renderPluginDocs } from "../../../src/gateway/plugins/docs.js";
import { loadPluginRegistry } from "../../../src/gateway/plugins/registry.js";

describe("docs/plugins.md", () => {
  it("is current (run `npm run docs:plugins` after changing a plugin schema)", async () => {
    const registry = await loadPluginRegistry([]);
    expect(registry.problems).toEqual([]);
    const expected = renderPluginDocs(registry.definitions());
    const actual = await readFile(new URL("../../../docs/plugins.md", import.meta.url), "utf8");
    expect(actual, "docs/plugins.md is stale: run `npm run docs:plugins`").toBe(expected);
  });

  it("documents every config field with a description", async () => {
    const registry = await loadPluginRegistry([]);
    const docs = renderPluginDocs(registry.definitions());
    for (const name of registry.names()) expect(docs).toContain(`## ${name}`);
    const undocumented = docs
      .split("\n")
      .filter((line) => /^\| `config\.[^|]*\|[^|]*\|[^|]*\|\s*\|$/.test(line));
    expect(undocumented).toEqual([]);
    expect(docs).toContain('| `config.key_names` | array of string | `["apikey"]` |');
    expect(BUNDLED_PLUGIN_NAMES.filter((n) => registry.get(n)).length).toBeGreaterThan(0);
  });
});

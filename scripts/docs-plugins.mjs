#!/usr/bin/env node
/**
 * Writes docs/plugins.md from the bundled plugins' config schemas (run through
 * `npm run docs:plugins`, which builds dist/ first). Fails when a plugin folder is broken.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const { loadPluginRegistry } = await import("../dist/gateway/plugins/registry.js");
const { renderPluginDocs } = await import("../dist/gateway/plugins/docs.js");

const registry = await loadPluginRegistry([]);
if (registry.problems.length > 0) {
  for (const p of registry.problems) process.stderr.write(`${p.dir}: ${p.message}\n`);
  process.exit(1);
}
const target = fileURLToPath(new URL("../docs/plugins.md", import.meta.url));
await mkdir(dirname(target), { recursive: true });
const temp = `${target}.${process.pid}.tmp`;
await writeFile(temp, renderPluginDocs(registry.definitions()));
await rename(temp, target);
process.stdout.write(`wrote docs/plugins.md (${registry.names().length} plugins)\n`);

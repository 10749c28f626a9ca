#!/usr/bin/env node
/**
 * Writes oclif.manifest.json (the command list with flags and help) after `tsc`, as part of
 * `npm run build`. With it, oclif answers `stack --help` and finds a command without
 * importing every command module (and their dependencies) on each start; without it, every
 * invocation loads all commands. The manifest is a build product (gitignored) and is
 * regenerated from dist/commands on every build, so it cannot go stale there.
 */
import { rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Config } from "@oclif/core";

const root = fileURLToPath(new URL("..", import.meta.url));
const file = `${root}oclif.manifest.json`;

// Build from the compiled commands, not from a previous manifest.
rmSync(file, { force: true });
const config = await Config.load({ root });
const plugin = config.getPluginsList().find((p) => p.isRoot);
if (!plugin) throw new Error("oclif root plugin not found");
const commands = Object.keys(plugin.manifest.commands);
if (commands.length === 0) throw new Error("no commands found in dist/commands: did tsc run?");
writeFileSync(file, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
console.log(`oclif.manifest.json: ${commands.length} commands (${commands.join(", ")})`);

// The core plugins of package.json (help, version, autocomplete) bring their own manifests: check that
// the CLI, read as `stack` reads it (this manifest included), has their commands too.
const cli = await Config.load({ root });
for (const name of cli.pjson.oclif.plugins ?? []) {
  const ids = cli.commands.filter((c) => c.pluginName === name && !c.hidden).map((c) => c.id);
  if (ids.length === 0) throw new Error(`oclif plugin ${name}: no commands loaded (npm ci?)`);
  console.log(`  ${name}: ${ids.join(", ")}`);
}

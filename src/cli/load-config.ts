/**
 * The oclif Config of the CLI read from its command modules, never from oclif.manifest.json: for
 * `bin/dev.js` (the sources, where a manifest left by an earlier build would be stale) and for
 * command-snapshot.json (what the code says now). oclif only lets a root plugin skip its manifest
 * when the plugins are handed to it, so the root plugin and the core plugins of package.json
 * (`oclif.plugins`) are loaded here and given to Config.load.
 */
import { Config, type Interfaces, Plugin } from "@oclif/core";

export async function loadConfigWithoutManifest(root: string, pjson?: Interfaces.PJSON): Promise<Config> {
  const rootPlugin = new Plugin({ root, isRoot: true, ignoreManifest: true, ...(pjson ? { pjson } : {}) });
  await rootPlugin.load();
  const plugins = new Map<string, Plugin>([[rootPlugin.name, rootPlugin]]);
  for (const name of rootPlugin.pjson.oclif.plugins ?? []) {
    // Core plugins are packages: their own manifests are fine.
    const plugin = new Plugin({ name, root: rootPlugin.root, type: "core" });
    await plugin.load();
    plugins.set(plugin.name, plugin);
  }
  return Config.load({ root: rootPlugin.root, plugins, ...(pjson ? { pjson } : {}) });
}

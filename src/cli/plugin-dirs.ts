import { Flags } from "@oclif/core";
import { loadPluginRegistry, type PluginRegistry } from "../gateway/plugins/registry.js";

/** `--plugin-dirs`: extra plugin folders, as the gateway's GATEWAY_PLUGIN_DIRS. */
export const pluginDirsFlag = () =>
  Flags.string({
    description: "Extra plugin folders (comma separated), as the gateway's GATEWAY_PLUGIN_DIRS.",
    env: "GATEWAY_PLUGIN_DIRS",
  });

/** The bundled plugins plus those of the flag's folders; a folder that fails to load is a warning. */
export function pluginRegistryOf(
  flag: string | undefined,
  warn: (line: string) => void,
): Promise<PluginRegistry> {
  const dirs = (flag ?? "")
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d !== "");
  return loadPluginRegistry(dirs, {
    onProblem: (p) => warn(`warning: plugin folder ${p.dir}: ${p.message}`),
  });
}

/**
 * The command-and-flags snapshot (`command-snapshot.json`, the Salesforce CLI's format): one entry per
 * command — its id, aliases, flag names, flag characters, flag aliases and the plugin it comes from —
 * sorted, so any change to the CLI's surface shows as a diff. `npm run snapshot:update` writes it
 * (scripts/command-snapshot.mjs); test/cli/command-snapshot.test.ts fails when it differs from the CLI.
 */
import { loadConfigWithoutManifest } from "./load-config.js";

export interface CommandSnapshotEntry {
  alias: string[];
  /** oclif's id (`gateway:sync`); users type it with spaces (`stack gateway sync`). */
  command: string;
  flagAliases: string[];
  flagChars: string[];
  flags: string[];
  plugin: string;
}

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/**
 * The snapshot of the CLI rooted at `root` (the package folder), read from the compiled commands
 * (`dist/`), never from a previous oclif.manifest.json, so it describes what the code says now.
 */
export async function commandSnapshot(root: string): Promise<CommandSnapshotEntry[]> {
  const config = await loadConfigWithoutManifest(root);
  return config.commands
    .filter((c) => !c.hidden)
    .map((c) => {
      const flags = Object.entries(c.flags ?? {});
      // Keys in the Salesforce CLI's order (alphabetical).
      return {
        alias: sorted(c.aliases ?? []),
        command: c.id,
        flagAliases: sorted(flags.flatMap(([, f]) => [...(f.aliases ?? []), ...(f.charAliases ?? [])])),
        flagChars: sorted(flags.flatMap(([, f]) => (f.char ? [f.char] : []))),
        flags: sorted(flags.map(([name]) => name)),
        plugin: c.pluginName ?? "",
      };
    })
    .sort((a, b) => (a.command < b.command ? -1 : a.command > b.command ? 1 : 0));
}

/** The file's text: 2-space JSON and a final newline (what `npm run snapshot:update` writes). */
export function formatCommandSnapshot(entries: CommandSnapshotEntry[]): string {
  return `${JSON.stringify(entries, null, 2)}\n`;
}

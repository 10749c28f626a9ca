/**
 * Plugin discovery. Every folder of this directory (at runtime dist/gateway/plugins/<name>/)
 * holding an `index.js` (or `index.ts` when running from source) whose default export is a
 * PluginDefinition is a plugin; so are the folders of `extraDirs` (GATEWAY_PLUGIN_DIRS).
 * A third-party plugin is therefore added by dropping its folder in, without touching the
 * core. Folders without an index, and folders whose name starts with "_" or ".", are
 * skipped; a folder that fails to load or exports something else is reported in
 * `problems` (and to `onProblem`), never fatal. Bundled plugins win name clashes.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { PluginDefinition } from "./types.js";

export interface PluginLoadProblem {
  /** The plugin folder. */
  dir: string;
  message: string;
}

export interface PluginRegistry {
  get(name: string): PluginDefinition | undefined;
  /** Plugin names, sorted. */
  names(): string[];
  /** Definitions by descending priority (the order phases run in). */
  definitions(): PluginDefinition[];
  /** Folders that looked like plugins but could not be loaded. */
  readonly problems: readonly PluginLoadProblem[];
}

export interface RegistryOptions {
  /** Called for each broken plugin folder (e.g. to log a warning). */
  onProblem?: (problem: PluginLoadProblem) => void;
  /** Skip the bundled plugins directory (tests of third-party loading). */
  bundled?: boolean;
}

/** The directory holding the bundled plugin folders (next to this module). */
export const BUNDLED_PLUGINS_DIR = dirname(fileURLToPath(import.meta.url));

const INDEX_FILES = ["index.js", "index.mjs", "index.ts"];

function indexFileOf(dir: string): string | null {
  for (const f of INDEX_FILES) {
    const p = join(dir, f);
    if (existsSync(p)) return p;
  }
  return null;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Plugin folders under `root`; `root` itself when it is a plugin folder. */
function pluginFolders(root: string): string[] {
  if (!isDirectory(root)) return [];
  if (indexFileOf(root) && root !== BUNDLED_PLUGINS_DIR) return [root];
  return readdirSync(root)
    .filter((name) => !name.startsWith("_") && !name.startsWith("."))
    .map((name) => join(root, name))
    .filter((p) => isDirectory(p) && indexFileOf(p) !== null)
    .sort();
}

/** Why `value` is not a usable PluginDefinition, or null when it is. */
export function definitionProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return "default export is not a plugin definition object";
  const d = value as Partial<Record<keyof PluginDefinition, unknown>>;
  if (typeof d.name !== "string" || d.name === "") return "plugin definition has no 'name'";
  if (typeof d.priority !== "number" || !Number.isFinite(d.priority))
    return "plugin definition has no numeric 'priority'";
  if (typeof d.create !== "function") return "plugin definition has no 'create' function";
  const schema = d.configSchema as { safeParse?: unknown } | undefined;
  if (typeof schema !== "object" || schema === null || typeof schema.safeParse !== "function") {
    return "plugin definition has no zod 'configSchema'";
  }
  return null;
}

export async function loadPluginRegistry(
  extraDirs: string[] = [],
  options: RegistryOptions = {},
): Promise<PluginRegistry> {
  const byName = new Map<string, PluginDefinition>();
  const problems: PluginLoadProblem[] = [];
  const report = (dir: string, message: string) => {
    const p = { dir, message };
    problems.push(p);
    options.onProblem?.(p);
  };
  const roots = [
    ...(options.bundled === false ? [] : [BUNDLED_PLUGINS_DIR]),
    ...extraDirs.map((d) => resolve(d)),
  ];
  for (const root of roots) {
    if (root !== BUNDLED_PLUGINS_DIR && !isDirectory(root)) {
      report(root, "plugin directory does not exist");
      continue;
    }
    for (const dir of pluginFolders(root)) {
      const file = indexFileOf(dir)!;
      let mod: { default?: unknown };
      try {
        mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
      } catch (e) {
        report(dir, `failed to load: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      const problem = definitionProblem(mod.default);
      if (problem) {
        report(dir, problem);
        continue;
      }
      const def = mod.default as PluginDefinition;
      if (def.name !== basename(dir)) {
        report(dir, `plugin name '${def.name}' does not match its folder name '${basename(dir)}'`);
        continue;
      }
      if (byName.has(def.name)) {
        report(dir, `plugin '${def.name}' is already provided by another folder; ignored`);
        continue;
      }
      byName.set(def.name, def);
    }
  }
  return registryOf(byName, problems);
}

/** A registry over given definitions (tests, embedding). */
export function registryFrom(definitions: readonly PluginDefinition[]): PluginRegistry {
  return registryOf(new Map(definitions.map((d) => [d.name, d])), []);
}

function registryOf(byName: Map<string, PluginDefinition>, problems: PluginLoadProblem[]): PluginRegistry {
  const sorted = [...byName.values()].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  const names = [...byName.keys()].sort();
  return {
    get: (name) => byName.get(name),
    names: () => [...names],
    definitions: () => [...sorted],
    problems,
  };
}

/**
 * The definitions as a gateway in database mode checks plugin configs with: a plugin's
 * `databaseConfigSchema` in place of its `configSchema` where it has one (rate-limiting's
 * `policy: cluster`); DB-less, `registry.get` as it is.
 */
export function databaseModeLookup(registry: PluginRegistry): (name: string) => PluginDefinition | undefined {
  const derived = new Map<PluginDefinition, PluginDefinition>();
  return (name) => {
    const def: (PluginDefinition & { databaseConfigSchema?: PluginDefinition["configSchema"] }) | undefined =
      registry.get(name);
    const schema = def?.databaseConfigSchema;
    if (def === undefined || schema === undefined) return def;
    let out = derived.get(def);
    if (out === undefined) {
      out = { ...def, configSchema: schema };
      derived.set(def, out);
    }
    return out;
  };
}

import { constants } from "node:fs";
import {
  access,
  chmod,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { GatestackError } from "../errors.js";
import { didYouMean } from "./did-you-mean.js";
import { parseEnvFile, serializeEnvFile } from "./env-file.js";
import { envVarsFor, generateEnvEntries } from "./env-vars.js";
import { STACK_SCHEMA_COPY_PATH, STACK_SCHEMA_REF, stackSchemaCopyText } from "./json-schema.js";
import { ENV_FILE, STACK_FILE } from "./load.js";
import { STACKS_DIR } from "./package-paths.js";
import {
  ADDON_NAMES,
  type AddonName,
  type StackConfig,
  stackSchema,
  TEMPLATE_NAMES,
  type TemplateName,
} from "./schema.js";
import { serializeStackYaml } from "./stack-yaml.js";
import { type StarterOptions, starterStack, withAddonDependencies } from "./starters.js";
import { draftsFromZod } from "./zod-issues.js";

export interface InitOptions extends StarterOptions {
  /** The folder to create (or fill). */
  dir: string;
  /** Allow a non-empty folder: stack.yaml is replaced; existing .env values and services/<name> are kept. */
  force: boolean;
}

/** What `stack init` did (the --json document). Secret values are never included. */
export interface InitResult {
  dir: string;
  template: TemplateName;
  name: string;
  domain: string;
  https: StarterOptions["https"];
  /** Host ports Caddy will publish. */
  ports: { http: number; https: number };
  addons: AddonName[];
  /** Files and folders written, relative to dir. */
  written: string[];
  /** Existing entries left as they were (with --force). */
  kept: string[];
  /** Names of the variables in .env. */
  envVariables: string[];
}

export const GITIGNORE_LINES = [".env", ".env.*", "__pycache__/", "*.py[cod]", ".venv/"];

const SHARED_SERVICE_DIR = join(STACKS_DIR, "_shared", "service");
const notCache = (src: string) => !/(^|\/)(__pycache__|\.pytest_cache)(\/|$)/.test(src);

/** Check a template name, with a "did you mean" for typos (E_TEMPLATE_UNKNOWN). */
export function parseTemplateName(value: string): TemplateName {
  const found = TEMPLATE_NAMES.find((t) => t === value);
  if (found) return found;
  throw new GatestackError(
    "E_TEMPLATE_UNKNOWN",
    `unknown template "${value}"${didYouMean(value, TEMPLATE_NAMES)} (templates: ${TEMPLATE_NAMES.join(", ")})`,
    { place: "--template", exitCode: 2 },
  );
}

/** Parse `--with`: a comma list of addons, `all`, or `none` (E_USAGE with a "did you mean" for typos). */
export function parseAddonList(value: string): AddonName[] {
  const words = value
    .split(",")
    .map((w) => w.trim().toLowerCase())
    .filter((w) => w !== "" && w !== "none");
  if (words.includes("all")) return [...ADDON_NAMES];
  return words.map((word) => {
    const found = ADDON_NAMES.find((a) => a === word);
    if (found) return found;
    throw new GatestackError(
      "E_USAGE",
      `unknown addon "${word}"${didYouMean(word, ADDON_NAMES)} (addons: ${ADDON_NAMES.join(", ")}, or all)`,
      { place: "--with", exitCode: 2 },
    );
  });
}

/** Why `value` is not a valid project name or domain, or undefined when it is (for prompts). */
export function fieldProblem(field: "name" | "domain", value: string): string | undefined {
  const parsed = stackSchema.shape[field].safeParse(value);
  return parsed.success ? undefined : parsed.error.issues[0]?.message;
}

/** A project name derived from a folder name: lowercase letters, digits and '-'. */
export function defaultProjectName(dir: string): string {
  const slug = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+/g, "-")
    .slice(0, 40)
    .replace(/-+$/, "");
  return slug === "" ? "stack" : slug;
}

/**
 * Create a stack folder: stack.yaml, services/, .env (mode 600), .gitignore and the schema stack.yaml's
 * modeline names (.gatestack/stack.schema.json) — all or nothing.
 */
export async function initStack(opts: InitOptions): Promise<InitResult> {
  const dir = resolve(opts.dir);
  const config = checkOptions(opts);
  const existing = await existingEntries(dir);
  if (existing.length > 0 && !opts.force) {
    throw new GatestackError("E_DIR_NOT_EMPTY", `${opts.dir} is not empty (${preview(existing)})`, {
      place: opts.dir,
      hint: "choose an empty or new folder, or pass --force to add a stack to this one",
    });
  }

  const stackText = serializeStackYaml(starterStack(opts), { schemaRef: STACK_SCHEMA_REF });
  const oldEnv = existing.includes(ENV_FILE) ? parseEnvFile(await readFile(join(dir, ENV_FILE), "utf8")) : {};
  const generated = generateEnvEntries(envVarsFor(config), oldEnv);
  // With --force, variables the user added to an existing .env stay as they were.
  const envEntries = [
    ...generated,
    ...Object.entries(oldEnv)
      .filter(([key]) => !generated.some((e) => e.key === key))
      .map(([key, value]) => ({ key, value })),
  ];
  const envText = serializeEnvFile(envEntries, [
    `Secrets for the ${config.name} stack, generated by \`stack init\`. Keep this file private (mode 600)`,
    "and out of version control; generated files reference these variables, never their values.",
  ]);
  const oldIgnore = existing.includes(".gitignore") ? await readFile(join(dir, ".gitignore"), "utf8") : "";

  const dirExists = existing.length > 0 || (await exists(dir));
  // Stage next to the final place: in the parent for a new folder (one rename), inside an existing one.
  if (!dirExists) await mkdir(dirname(dir), { recursive: true });
  const stage = dirExists
    ? await mkdtemp(join(dir, ".gatestack-init-"))
    : await mkdtemp(join(dirname(dir), `.${basename(dir)}.init-`));
  try {
    await writeFile(join(stage, STACK_FILE), stackText);
    await writeFile(join(stage, ENV_FILE), envText, { mode: 0o600 });
    await chmod(join(stage, ENV_FILE), 0o600);
    await writeFile(join(stage, ".gitignore"), mergeGitignore(oldIgnore));
    await mkdir(dirname(join(stage, STACK_SCHEMA_COPY_PATH)));
    await writeFile(join(stage, STACK_SCHEMA_COPY_PATH), stackSchemaCopyText());
    for (const service of config.services) {
      // Each app folder is self-contained (its own build context): the app, plus the shared
      // Dockerfile, requirements.txt, .dockerignore and request_id.py.
      for (const from of [join(STACKS_DIR, config.template, "services", service.name), SHARED_SERVICE_DIR]) {
        await cp(from, join(stage, "services", service.name), { recursive: true, filter: notCache });
      }
    }
    const { written, kept } = dirExists
      ? await moveInto(stage, dir, existing.length === 0)
      : await moveWhole(stage, dir);
    return {
      dir,
      template: config.template,
      name: config.name,
      domain: config.domain,
      https: config.https,
      ports: { http: config.ports.http, https: config.ports.https },
      addons: withAddonDependencies(opts.addons),
      written,
      kept,
      envVariables: envEntries.map((e) => e.key),
    };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** Validate the options through the stack schema; a problem names the flag it came from. */
function checkOptions(opts: InitOptions): StackConfig {
  const parsed = stackSchema.safeParse(starterStack(opts), { reportInput: true });
  if (parsed.success) return parsed.data;
  const draft = draftsFromZod(parsed.error.issues)[0]!;
  const flag: Record<string, string> = {
    name: "--name",
    domain: "--domain",
    https: "--https",
    ports: "--http-port/--https-port",
  };
  const place = flag[String(draft.path[0])] ?? String(draft.path.join("."));
  throw new GatestackError("E_USAGE", draft.message, { place, exitCode: 2 });
}

async function existingEntries(dir: string): Promise<string[]> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) {
      throw new GatestackError("E_IO", `${dir} exists and is not a folder`, { place: dir });
    }
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** New or empty folder: one rename puts everything in place. */
async function moveWhole(stage: string, dir: string): Promise<{ written: string[]; kept: string[] }> {
  const services = (await readdir(join(stage, "services"))).map((name) => join("services", name));
  const written = [STACK_FILE, ENV_FILE, ".gitignore", STACK_SCHEMA_COPY_PATH, ...services.sort()];
  await chmod(stage, 0o777 & ~process.umask());
  await rename(stage, dir);
  return { written, kept: [] };
}

/**
 * Existing folder: move the staged entries in, one rename each. Our own files are replaced
 * (--force); an existing services/<name> is user code and is never touched. If a move fails
 * in a folder that was empty, what was moved is removed again.
 */
async function moveInto(
  stage: string,
  dir: string,
  wasEmpty: boolean,
): Promise<{ written: string[]; kept: string[] }> {
  const written: string[] = [];
  const kept: string[] = [];
  const createdServices = !(await exists(join(dir, "services")));
  try {
    await mkdir(dirname(join(dir, STACK_SCHEMA_COPY_PATH)), { recursive: true });
    for (const entry of [STACK_FILE, ENV_FILE, ".gitignore", STACK_SCHEMA_COPY_PATH]) {
      await rename(join(stage, entry), join(dir, entry));
      written.push(entry);
    }
    await mkdir(join(dir, "services"), { recursive: true });
    for (const service of (await readdir(join(stage, "services"))).sort()) {
      const target = join(dir, "services", service);
      const rel = relative(dir, target);
      if (await exists(target)) kept.push(rel);
      else {
        await rename(join(stage, "services", service), target);
        written.push(rel);
      }
    }
  } catch (err) {
    if (wasEmpty) {
      for (const entry of written) await rm(join(dir, entry), { recursive: true, force: true });
      if (createdServices) await rm(join(dir, "services"), { recursive: true, force: true });
      await rm(join(dir, dirname(STACK_SCHEMA_COPY_PATH)), { recursive: true, force: true });
    }
    throw err;
  }
  return { written, kept };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

function mergeGitignore(old: string): string {
  const present = new Set(old.split(/\r?\n/).map((l) => l.trim()));
  const missing = GITIGNORE_LINES.filter((l) => !present.has(l));
  if (old === "") return ["# gatestack: secrets and local files", ...GITIGNORE_LINES, ""].join("\n");
  if (missing.length === 0) return old;
  return `${old.replace(/\n?$/, "\n")}\n# gatestack\n${missing.join("\n")}\n`;
}

function preview(entries: string[]): string {
  const shown = entries.slice(0, 3).join(", ");
  return entries.length > 3 ? `${shown}, … ${entries.length} entries` : shown;
}

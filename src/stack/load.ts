import { readFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { GatestackError } from "../errors.js";
import { crossFieldChecks } from "./checks.js";
import { parseEnvFile } from "./env-file.js";
import { placeIssue, StackInvalidError, type StackIssue, sortIssues } from "./issues.js";
import { type StackConfig, stackSchema } from "./schema.js";
import { sharedStateChecks } from "./shared-state.js";
import { parseYamlSource, type YamlSource } from "./yaml-source.js";
import { draftsFromZod } from "./zod-issues.js";

export const STACK_FILE = "stack.yaml";
export const ENV_FILE = ".env";

/** A stack folder read from disk: the shared input of render, up, health… */
export interface LoadedStack {
  /** Absolute path of the stack folder. */
  dir: string;
  /** Absolute path of its stack.yaml. */
  file: string;
  config: StackConfig;
  /** The parsed .env ({} when there is none). */
  env: Record<string, string>;
}

/** Everything known about a stack.yaml text: the config when valid, and every problem found. */
export interface StackAnalysis {
  source: YamlSource;
  config: StackConfig | undefined;
  errors: StackIssue[];
  warnings: StackIssue[];
}

/**
 * Validate stack.yaml text. Malformed YAML throws E_YAML_SYNTAX; schema and cross-field
 * problems are collected (all of them, in document order), each placed at `file:line:col`.
 */
export function analyzeStackText(text: string, file: string = STACK_FILE): StackAnalysis {
  const source = parseYamlSource(text, file);
  if (source.data === null || source.data === undefined) {
    const message = "is empty: a stack needs at least name, template and services (`stack init` writes one)";
    const errors = [placeIssue(source, { path: [], message })];
    return { source, config: undefined, errors, warnings: [] };
  }
  const parsed = stackSchema.safeParse(source.data, { reportInput: true });
  const drafts = parsed.success
    ? [...crossFieldChecks(parsed.data), ...sharedStateChecks(parsed.data)]
    : draftsFromZod(parsed.error.issues);
  const issues = drafts.map((draft) => placeIssue(source, draft));
  const errors = sortIssues(issues.filter((i) => i.severity === "error"));
  const warnings = sortIssues(issues.filter((i) => i.severity === "warning"));
  return {
    source,
    config: parsed.success && errors.length === 0 ? parsed.data : undefined,
    errors,
    warnings,
  };
}

/** Parse and validate stack.yaml text; throws E_YAML_SYNTAX or E_STACK_INVALID (listing every error). */
export function parseStackText(text: string, file: string = STACK_FILE): StackConfig {
  const analysis = analyzeStackText(text, file);
  if (!analysis.config) throw new StackInvalidError(analysis.errors, analysis.warnings);
  return analysis.config;
}

/** Read `<dir>/stack.yaml` and `<dir>/.env`. */
export async function loadStack(dir: string): Promise<LoadedStack> {
  const { absDir, file, text } = await readStackFile(dir);
  const config = parseStackText(text, displayPath(file));
  const env = await readEnvFile(absDir);
  return { dir: absDir, file, config, env };
}

/** Read `<dir>/stack.yaml`; a missing file throws E_STACK_NOT_FOUND. */
export async function readStackFile(dir: string): Promise<{ absDir: string; file: string; text: string }> {
  const absDir = resolve(dir);
  const file = join(absDir, STACK_FILE);
  try {
    return { absDir, file, text: await readFile(file, "utf8") };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new GatestackError("E_STACK_NOT_FOUND", `no ${STACK_FILE} in ${displayPath(absDir) || "."}`, {
        place: displayPath(file),
        hint: "run `stack init DIR` to create a stack, or pass --dir to point at one",
      });
    }
    throw new GatestackError("E_IO", `cannot read ${displayPath(file)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * The parsed `<dir>/.env`, {} when missing; a malformed line throws E_ENV_INVALID. Its `${VAR}`
 * references read `environment` first (the process environment, as Compose does), then the keys above.
 */
export async function readEnvFile(
  dir: string,
  environment: Record<string, string | undefined> = process.env,
): Promise<Record<string, string>> {
  const file = join(resolve(dir), ENV_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new GatestackError("E_IO", `cannot read ${displayPath(file)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseEnvFile(text, displayPath(file), { environment });
}

/** A path as users want it in messages: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

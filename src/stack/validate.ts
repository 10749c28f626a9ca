import { stat } from "node:fs/promises";
import { join } from "node:path";
import { serviceSource } from "./components.js";
import { type EnvVarSpec, envVarsFor } from "./env-vars.js";
import { type IssueDraft, placeIssue, StackInvalidError, type StackIssue, sortIssues } from "./issues.js";
import {
  analyzeStackText,
  displayPath,
  ENV_FILE,
  type LoadedStack,
  readEnvFile,
  readStackFile,
} from "./load.js";
import { pluginConfigChecks } from "./plugin-configs.js";
import type { StackConfig } from "./schema.js";

/** What `stack validate` checked (its --json document when the stack is valid). */
export interface ValidateReport {
  dir: string;
  file: string;
  valid: true;
  services: number;
  routes: number;
  consumers: number;
  /** Checks that ran, in order. */
  checks: string[];
  warnings: StackIssue[];
}

export interface ValidateOptions {
  /** Also check that the generated files are current and that the gateway accepts gateway.yaml (default true). */
  rendered?: boolean;
  /**
   * Variables that fill what .env lacks or leaves empty — the CLI passes the process
   * environment, so CI can provide secrets without writing a .env (default: none).
   */
  environment?: Record<string, string | undefined>;
}

/**
 * What the layers above add to the stack's own checks (src/render/validate.ts: the generated
 * files), so that this layer imports nothing from them.
 */
export interface ValidateHooks {
  /** More findings on stack.yaml, placed and reported with its own (the deploy targets it was rendered for). */
  drafts?: (dir: string, config: StackConfig) => Promise<IssueDraft[]>;
  /** Checks run once stack.yaml and .env have no errors, named in the report's `checks`. */
  after?: { checks: string[]; issues: (loaded: LoadedStack) => Promise<StackIssue[]> };
}

/**
 * Check a stack folder: stack.yaml (schema and cross-field rules), the .env variables it refers
 * to, every plugin config against the gateway's plugin schemas, the app folders, and what `hooks`
 * add. Throws StackInvalidError listing every error (E_YAML_SYNTAX / E_ENV_INVALID /
 * E_STACK_NOT_FOUND when a file cannot be read at all).
 */
export async function checkStack(
  dir: string,
  opts: ValidateOptions = {},
  hooks: ValidateHooks = {},
): Promise<ValidateReport> {
  const { absDir, file, text } = await readStackFile(dir);
  const analysis = analyzeStackText(text, displayPath(file));
  const config = analysis.config;
  if (!config) throw new StackInvalidError(analysis.errors, analysis.warnings);
  const checks = ["stack.yaml"];

  const env = withFallback(await readEnvFile(absDir, opts.environment ?? {}), opts.environment ?? {});
  const envFile = displayPath(join(absDir, ENV_FILE));
  const drafts: IssueDraft[] = [
    ...(await pluginConfigChecks(config)),
    ...(await sourceChecks(absDir, config)),
    ...((await hooks.drafts?.(absDir, config)) ?? []),
  ];
  checks.push("plugin configs", "service folders");
  const issues = [
    ...drafts.map((d) => placeIssue(analysis.source, d)),
    ...envIssues(config, env, analysis, envFile),
  ];
  checks.push(".env");
  let errors = issues.filter((i) => i.severity === "error");
  const warnings = sortIssues([...analysis.warnings, ...issues.filter((i) => i.severity === "warning")]);

  if (errors.length === 0 && hooks.after !== undefined) {
    const loaded: LoadedStack = { dir: absDir, file, config, env };
    errors = await hooks.after.issues(loaded);
    checks.push(...hooks.after.checks);
  }
  if (errors.length > 0) throw new StackInvalidError(sortByFile(errors), warnings);
  return {
    dir: absDir,
    file,
    valid: true,
    services: config.services.length,
    routes: config.services.reduce((n, s) => n + s.routes.length, 0),
    consumers: config.consumers.length,
    checks,
    warnings,
  };
}

/** `env` with its missing or empty values taken from `fallback`. */
function withFallback(
  env: Record<string, string>,
  fallback: Record<string, string | undefined>,
): Record<string, string> {
  const out: Record<string, string> = { ...env };
  for (const [name, value] of Object.entries(fallback)) {
    if (value !== undefined && value !== "" && !out[name]) out[name] = value;
  }
  return out;
}

/** Variables stack.yaml needs that neither .env nor the environment sets (or sets empty). */
function envIssues(
  config: StackConfig,
  env: Record<string, string>,
  analysis: ReturnType<typeof analyzeStackText>,
  envFile: string,
): StackIssue[] {
  const missing = envVarsFor(config).filter((spec) => spec.required && !env[spec.name]);
  return missing.map((spec: EnvVarSpec) => {
    const message = `${spec.name} is not set in ${ENV_FILE} or the environment (${spec.purpose.replace(/\.$/, "")}); add ${spec.name}=<value> to ${ENV_FILE}`;
    if (spec.path) return placeIssue(analysis.source, { path: spec.path, message });
    return { severity: "error", file: envFile, line: 1, col: 1, path: "", message };
  });
}

/** Each app's folder must exist and hold a Dockerfile (`stack up` builds it). */
async function sourceChecks(dir: string, config: StackConfig): Promise<IssueDraft[]> {
  const drafts: IssueDraft[] = [];
  for (const [i, service] of config.services.entries()) {
    const source = serviceSource(service);
    const path = service.source === undefined ? ["services", i, "name"] : ["services", i, "source"];
    if (!(await isDirectory(join(dir, source)))) {
      drafts.push({ path, message: `${source}/ not found: the folder with the app and its Dockerfile` });
    } else if (!(await isFile(join(dir, source, "Dockerfile")))) {
      drafts.push({ path, message: `${source}/Dockerfile not found` });
    }
  }
  return drafts;
}

function sortByFile(issues: StackIssue[]): StackIssue[] {
  return [...issues].sort((a, b) =>
    a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? 1 : -1,
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

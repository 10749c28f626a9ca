import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { FlattenedError } from "../gateway/config/error.js";
import { parseDeclarativeConfig } from "../gateway/config/load.js";
import { loadPluginRegistry } from "../gateway/plugins/registry.js";
import { GATEWAY_CONFIG_FILE } from "../render/gateway.js";
import { planRender, RENDER_TARGETS, renderStack } from "../render/index.js";
import { readManifest } from "../render/manifest.js";
import { targetOfPath } from "../render/targets.js";
import { serviceSource } from "./components.js";
import { DATABASE_FIELD, databaseTargetRefusal } from "./database.js";
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
 * Check a stack folder: stack.yaml (schema and cross-field rules), the .env variables it refers
 * to, every plugin config against the gateway's plugin schemas, the app folders, and the
 * generated files. Throws StackInvalidError listing every error (E_YAML_SYNTAX /
 * E_ENV_INVALID / E_STACK_NOT_FOUND when a file cannot be read at all).
 */
export async function validateStack(dir: string, opts: ValidateOptions = {}): Promise<ValidateReport> {
  const { absDir, file, text } = await readStackFile(dir);
  const analysis = analyzeStackText(text, displayPath(file));
  const config = analysis.config;
  if (!config) throw new StackInvalidError(analysis.errors, analysis.warnings);
  const checks = ["stack.yaml"];

  const env = withFallback(await readEnvFile(absDir), opts.environment ?? {});
  const envFile = displayPath(join(absDir, ENV_FILE));
  const drafts: IssueDraft[] = [
    ...(await pluginConfigChecks(config)),
    ...(await sourceChecks(absDir, config)),
    ...(await renderedTargetChecks(absDir, config)),
  ];
  checks.push("plugin configs", "service folders");
  const issues = [
    ...drafts.map((d) => placeIssue(analysis.source, d)),
    ...envIssues(config, env, analysis, envFile),
  ];
  checks.push(".env");
  let errors = issues.filter((i) => i.severity === "error");
  const warnings = sortIssues([...analysis.warnings, ...issues.filter((i) => i.severity === "warning")]);

  if (errors.length === 0 && opts.rendered !== false) {
    const loaded: LoadedStack = { dir: absDir, file, config, env };
    errors = await renderedIssues(loaded);
    checks.push("generated files", "gateway config");
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

/**
 * stack.yaml must suit every deploy target the folder was rendered for (the manifest records
 * them): database mode on a target that cannot run it is an error at gateway.database.
 */
async function renderedTargetChecks(dir: string, config: StackConfig): Promise<IssueDraft[]> {
  const recorded = Object.keys((await readManifest(dir))?.files ?? {});
  const targets = new Set(recorded.map(targetOfPath));
  return RENDER_TARGETS.filter((t) => targets.has(t)).flatMap((target) => {
    const refusal = databaseTargetRefusal(config, target);
    return refusal === null ? [] : [{ path: [...DATABASE_FIELD], message: refusal }];
  });
}

/** Generated files must match stack.yaml, and the gateway must accept the gateway config. */
async function renderedIssues(loaded: LoadedStack): Promise<StackIssue[]> {
  const issues: StackIssue[] = [];
  const report = await renderStack(loaded, { check: true });
  const stale = report.files.filter((f) => f.status !== "unchanged");
  if (stale.length > 0) {
    const list = stale.map(
      (f) =>
        `${f.path} (${f.status === "created" ? "missing" : f.status === "removed" ? "obsolete" : "stale"})`,
    );
    issues.push({
      severity: "error",
      file: displayPath(join(loaded.dir, stale[0]!.path)),
      line: 1,
      col: 1,
      path: "",
      message: `generated files are out of date with stack.yaml: ${list.join(", ")}; run \`stack render\``,
    });
  }
  const gatewayYaml = planRender(loaded).find((a) => a.path === GATEWAY_CONFIG_FILE);
  if (gatewayYaml) {
    const registry = await loadPluginRegistry();
    const parsed = parseDeclarativeConfig(gatewayYaml.content, {
      plugins: (n) => registry.get(n),
      env: loaded.env,
    });
    if (!parsed.ok) {
      const flattened = (parsed.error.flattened_errors ?? []) as FlattenedError[];
      const flat = flattened.flatMap((e) =>
        e.errors.map(
          (x) => `${e.entity_type} ${e.entity_name ?? ""}: ${"field" in x ? `${x.field}: ` : ""}${x.message}`,
        ),
      );
      issues.push({
        severity: "error",
        file: displayPath(join(loaded.dir, GATEWAY_CONFIG_FILE)),
        line: 1,
        col: 1,
        path: "",
        message: `the gateway rejects the generated config: ${flat.length > 0 ? flat.join("; ") : parsed.error.message}`,
      });
    }
  }
  return issues;
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

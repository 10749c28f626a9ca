import { join } from "node:path";
import type { FlattenedError } from "../gateway/config/error.js";
import { parseDeclarativeConfig } from "../gateway/config/load.js";
import { loadPluginRegistry } from "../gateway/plugins/registry.js";
import { DATABASE_FIELD, databaseTargetRefusal } from "../stack/database.js";
import type { IssueDraft, StackIssue } from "../stack/issues.js";
import { displayPath, type LoadedStack } from "../stack/load.js";
import type { StackConfig } from "../stack/schema.js";
import { checkStack, type ValidateOptions, type ValidateReport } from "../stack/validate.js";
import { GATEWAY_CONFIG_FILE } from "./gateway.js";
import { planRender, RENDER_TARGETS, renderStack } from "./index.js";
import { readManifest } from "./manifest.js";
import { targetOfPath } from "./targets.js";

export type { ValidateOptions, ValidateReport };

/**
 * `stack validate`: the stack's own checks (src/stack/validate.ts: stack.yaml, .env, plugin
 * configs, app folders), stack.yaml against every deploy target the folder was rendered for, and
 * — unless `rendered: false` — the generated files: current with stack.yaml, and gateway.yaml
 * accepted by the gateway. Throws StackInvalidError listing every error.
 */
export function validateStack(dir: string, opts: ValidateOptions = {}): Promise<ValidateReport> {
  return checkStack(dir, opts, {
    drafts: renderedTargetChecks,
    ...(opts.rendered === false
      ? {}
      : { after: { checks: ["generated files", "gateway config"], issues: renderedIssues } }),
  });
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

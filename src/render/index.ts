import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";
import { GatestackError } from "../errors.js";
import { renderCaddyfile } from "./caddyfile.js";
import { renderCompose } from "./compose.js";
import { unifiedDiff } from "./diff.js";
import { renderElasticsearch } from "./elasticsearch.js";
import { renderGatewayConfig } from "./gateway.js";
import { syncGatewayContext } from "./gateway-context.js";
import { renderGrafanaProvisioning } from "./grafana.js";
import { hasGeneratedMarker } from "./header.js";
import { renderJenkins } from "./jenkins.js";
import { renderKibana } from "./kibana.js";
import { renderKubernetes } from "./kubernetes.js";
import { renderLogstash } from "./logstash.js";
import { MANIFEST_PATH, manifestArtifact, readManifest, sha256 } from "./manifest.js";
import { isGeneratedPath } from "./paths.js";
import { renderPrometheusConfig } from "./prometheus.js";
import { renderStackSchema } from "./stack-schema.js";
import { planSwarm } from "./swarm.js";
import { DEFAULT_RENDER_TARGET, type RenderTarget, targetOfPath } from "./targets.js";
import { enabledAddons } from "./topology.js";
import type { Artifact, RenderedFile, RenderOptions, RenderReport, RenderSource } from "./types.js";
import { applyChanges, type FileChange, nodeFs, type RenderFs } from "./write.js";

export { RENDER_TARGETS, type RenderTarget } from "./targets.js";
export type {
  Artifact,
  FileStatus,
  RenderedFile,
  RenderOptions,
  RenderReport,
  RenderSource,
} from "./types.js";

const DEFAULT_MODE = 0o644;

/**
 * Every file `stack render --target <target>` generates for this stack, sorted by path. Pure
 * and deterministic: the same stack.yaml gives byte-identical artifacts. The config is a
 * validated one (loadStack): stack.yaml rules are checked there, not here.
 */
export function planRender(loaded: RenderSource, target: RenderTarget = DEFAULT_RENDER_TARGET): Artifact[] {
  const stack = loaded.config;
  const artifacts =
    target === "kubernetes"
      ? renderKubernetes(stack)
      : target === "swarm"
        ? planSwarm(stack, composeArtifacts(stack))
        : composeArtifacts(stack);
  for (const artifact of artifacts) {
    if (!isGeneratedPath(artifact.path, stack) || targetOfPath(artifact.path) !== target) {
      throw new GatestackError("E_INTERNAL", `refusing to generate ${artifact.path}: not a generated path`);
    }
  }
  return artifacts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The compose target: compose.yaml and the config files its services mount. */
function composeArtifacts(stack: RenderSource["config"]): Artifact[] {
  const addons = enabledAddons(stack);
  return [
    renderCompose(stack),
    renderCaddyfile(stack),
    renderGatewayConfig(stack),
    ...(addons.prometheus ? [renderPrometheusConfig(stack)] : []),
    ...renderGrafanaProvisioning(stack),
    ...renderLogstash(stack),
    ...renderElasticsearch(stack),
    ...renderKibana(stack),
    ...renderJenkins(stack),
    renderStackSchema(),
  ];
}

/** What is on disk at a generated path. */
type OnDisk = { exists: false } | { exists: true; content: string };

async function readOnDisk(dir: string, path: string): Promise<OnDisk> {
  const abs = join(dir, path);
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { exists: false };
    throw new GatestackError("E_IO", `cannot read ${path}: ${(err as Error).message}`, {
      place: path,
      cause: err,
    });
  }
  if (!info.isFile()) {
    const what = info.isDirectory()
      ? "a folder"
      : info.isSymbolicLink()
        ? "a symbolic link"
        : "not a regular file";
    throw new GatestackError(
      "E_RENDER_FAILED",
      `${path} is ${what}, where stack render writes a generated file`,
      {
        place: path,
        hint: `move ${path} away and render again; nothing was changed`,
      },
    );
  }
  return { exists: true, content: await readFile(abs, "utf8") };
}

/**
 * Render the stack into its folder (see RenderOptions for check / dry-run / force /
 * refuseHandEdits). Writes are atomic as a whole (write.ts); files at generated paths that
 * gatestack did not write are refused unless `force`; previously generated files that are
 * no longer produced are removed. Returns what changed (or would change) with a unified diff.
 * Only `options.target`'s files are planned, compared and removed; the manifest keeps the other
 * targets' records. A compose write also refreshes the gateway's build context
 * (gateway-context.ts): a copy of this package, not a generated file, so it is neither in the
 * report nor in the manifest.
 */
export async function renderStack(
  loaded: RenderSource,
  options: RenderOptions = {},
  fs: RenderFs = nodeFs,
): Promise<RenderReport> {
  const { dir } = loaded;
  const target = options.target ?? DEFAULT_RENDER_TARGET;
  const artifacts = planRender(loaded, target);
  const manifest = await readManifest(dir);
  const recorded = manifest?.files ?? {};
  // Files of the other targets: neither checked nor removed here, their records kept as they are.
  const otherTargets = Object.fromEntries(
    Object.entries(recorded).filter(([path]) => targetOfPath(path) !== target),
  );
  const produced = new Set(artifacts.map((a) => a.path));

  const files: RenderedFile[] = [];
  const changes: FileChange[] = [];
  const diffs: string[] = [];
  const foreign: string[] = [];
  const handEdited: string[] = [];

  for (const artifact of artifacts) {
    const disk = await readOnDisk(dir, artifact.path);
    const previous = disk.exists ? disk.content : undefined;
    const recordedHash = recorded[artifact.path];
    const editedByHand =
      previous !== undefined && recordedHash !== undefined && sha256(previous) !== recordedHash;
    if (previous !== undefined && recordedHash === undefined && !hasGeneratedMarker(previous))
      foreign.push(artifact.path);
    const status =
      previous === undefined ? "created" : previous === artifact.content ? "unchanged" : "updated";
    if (editedByHand && status === "updated") handEdited.push(artifact.path);
    files.push({ path: artifact.path, status, editedByHand });
    if (status === "unchanged") continue;
    changes.push({
      kind: "write",
      path: artifact.path,
      content: artifact.content,
      mode: artifact.mode ?? DEFAULT_MODE,
      previous,
    });
    diffs.push(
      unifiedDiff(
        previous ?? "",
        artifact.content,
        previous === undefined ? "/dev/null" : `a/${artifact.path}`,
        `b/${artifact.path}`,
      ),
    );
  }

  for (const path of Object.keys(recorded).sort()) {
    if (produced.has(path) || path in otherTargets || !isGeneratedPath(path, loaded.config)) continue;
    const disk = await readOnDisk(dir, path);
    if (!disk.exists) continue;
    const editedByHand = sha256(disk.content) !== recorded[path];
    if (editedByHand) handEdited.push(path);
    files.push({ path, status: "removed", editedByHand });
    changes.push({ kind: "remove", path, previous: disk.content });
    diffs.push(unifiedDiff(disk.content, "", `a/${path}`, "/dev/null"));
  }

  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const report: RenderReport = {
    dir,
    files,
    changed: changes.length > 0,
    dryRun: options.check === true || options.dryRun === true,
    diff: diffs.join(""),
  };
  if (report.dryRun) return report;

  if (foreign.length > 0 && !options.force) {
    throw new GatestackError(
      "E_RENDER_FAILED",
      `${foreign.join(", ")} ${foreign.length === 1 ? "exists" : "exist"} but ${foreign.length === 1 ? "was" : "were"} not generated by gatestack`,
      {
        place: foreign[0],
        hint: "move the file(s) away, or pass --force to replace them with generated ones; nothing was changed",
        data: { files: foreign },
      },
    );
  }
  if (handEdited.length > 0 && options.refuseHandEdits) {
    throw new GatestackError(
      "E_RENDER_STALE",
      `generated files were edited by hand: ${handEdited.join(", ")}`,
      {
        place: handEdited[0],
        hint: "move the change into stack.yaml, then run `stack render` (it overwrites generated files)",
        data: { files: handEdited, diff: report.diff },
      },
    );
  }

  const nextManifest = manifestArtifact(artifacts, otherTargets);
  const manifestOnDisk = await readOnDisk(dir, MANIFEST_PATH);
  const manifestPrevious = manifestOnDisk.exists ? manifestOnDisk.content : undefined;
  if (manifestPrevious !== nextManifest.content) {
    changes.push({
      kind: "write",
      path: MANIFEST_PATH,
      content: nextManifest.content,
      mode: DEFAULT_MODE,
      previous: manifestPrevious,
    });
  }
  if (changes.length > 0) await applyChanges(dir, changes, fs);
  // The gateway's build context is compose.yaml's `build:`; a cluster pulls the image from a registry.
  if (target === "compose") await syncGatewayContext(dir, loaded.config);
  return report;
}

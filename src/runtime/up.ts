/**
 * `stack up` as a function: render (refusing hand-edited generated files), connect, read the
 * Compose model, preflight, converge, and describe the result (URLs, credentials location).
 */

import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import type { ADDON_PROFILES } from "../render/compose.js";
import { renderStack } from "../render/index.js";
import { type LoadedStack, loadStack } from "../stack/load.js";
import { listProjectContainers } from "./actual.js";
import type { ComposeProject } from "./compose/project.js";
import { type ContainerOutcome, converge } from "./converge.js";
import { scopeProject, withDependencies } from "./dependencies.js";
import { connectDocker, ensureEngine } from "./engine.js";
import { seedGatewayDatabase } from "./gateway-seed.js";
import type { Action } from "./plan.js";
import { checkMemory, findPortConflicts, memoryError, portConflictError } from "./preflight.js";
import type { Reporter } from "./progress.js";
import { loadStackProject } from "./stack-compose.js";
import { type CredentialsInfo, credentialsInfo, type StackUrl, stackUrls } from "./urls.js";
import { interrupted } from "./wait.js";

export interface UpOptions {
  dir: string;
  reporter: Reporter;
  /** Profiles the compose files define, or `*` (every one). */
  profiles?: string[];
  /** Only these services and their dependencies (`up SERVICE…`); default: every enabled service. */
  services?: string[];
  build?: boolean;
  wait?: boolean;
  /** Seconds to wait for dependencies and health (`--wait-timeout`, default 180). */
  waitTimeoutSeconds?: number;
  /** Seconds a replaced container gets to stop (`--timeout`, Compose's); default its own stop_grace_period. */
  stopTimeoutSeconds?: number;
  removeOrphans?: boolean;
  forceRecreate?: boolean;
  signal?: AbortSignal;
  docker?: Dockerode;
}

export interface UpResult {
  project: string;
  dir: string;
  profiles: string[];
  rendered: string[];
  summary: Record<Action["kind"], number>;
  containers: ContainerOutcome[];
  removed: ContainerOutcome[];
  urls: StackUrl[];
  credentials: CredentialsInfo;
  /** Addon profiles enabled in stack.yaml but not asked for: not running at all… */
  profilesNotStarted: string[];
  /** …or still running from an earlier `up --profile` (left alone, as Compose does). */
  profilesLeftRunning: string[];
  warnings: string[];
  durationMs: number;
}

/** Profiles whose addons stack.yaml enables but that were not asked for. */
function idleProfiles(loaded: LoadedStack, active: string[]): string[] {
  if (active.includes("all") || active.includes("*")) return [];
  const a = loaded.config.addons;
  const enabled: Record<keyof typeof ADDON_PROFILES, boolean> = {
    monitoring: a.prometheus.enabled || a.grafana.enabled,
    logging: a.elk.enabled,
    ci: a.jenkins.enabled,
  };
  return (Object.keys(enabled) as Array<keyof typeof ADDON_PROFILES>).filter(
    (p) => enabled[p] && !active.includes(p),
  );
}

export async function up(opts: UpOptions): Promise<UpResult> {
  const started = Date.now();
  const { reporter } = opts;
  const check = () => {
    if (opts.signal?.aborted) throw interrupted();
  };
  const loaded = await loadStack(opts.dir);

  const renderTask = reporter.task("render", "Render generated files");
  renderTask.running();
  let rendered: string[];
  try {
    const report = await renderStack(loaded, { refuseHandEdits: true });
    rendered = report.files.filter((f) => f.status !== "unchanged").map((f) => f.path);
    renderTask.done(rendered.length ? `${rendered.length} file(s) updated` : "up to date");
  } catch (err) {
    renderTask.fail(err instanceof Error ? err.message : String(err));
    throw err;
  }
  check();

  const profiles = opts.profiles ?? [];
  const project: ComposeProject = await loadStackProject(loaded, {
    profiles,
    ...(opts.services?.length ? { enable: opts.services } : {}),
  });
  for (const w of project.warnings) reporter.warn(w);
  const selected = opts.services?.length
    ? scopeProject(project, withDependencies(project, opts.services))
    : project;

  const docker = opts.docker ?? connectDocker();
  const engineTask = reporter.task("engine", "Docker engine");
  engineTask.running();
  try {
    await ensureEngine(docker);
    const version = await docker.version();
    engineTask.done(`${version.Version} (API ${version.ApiVersion})`);
  } catch (err) {
    engineTask.fail();
    throw err;
  }

  const preflight = reporter.task("preflight", "Preflight: ports, memory");
  preflight.running();
  try {
    const conflicts = await findPortConflicts(docker, selected);
    if (conflicts.length) throw portConflictError(conflicts);
    const running = new Set(
      (await listProjectContainers(docker, project.name))
        .filter((c) => c.state === "running")
        .map((c) => c.service),
    );
    const mem = await checkMemory(docker, selected, running);
    if (mem.requiredMb > 0 && mem.availableMb > 0 && mem.requiredMb > mem.availableMb) throw memoryError(mem);
    preflight.done(
      mem.requiredMb > 0 ? `~${mem.requiredMb} MB needed, ${mem.availableMb} MB available` : "ok",
    );
  } catch (err) {
    preflight.fail(err instanceof GatestackError ? err.code : undefined);
    throw err;
  }
  check();

  const result = await converge(docker, project, {
    reporter,
    ...(opts.signal ? { signal: opts.signal } : {}),
    build: opts.build === true,
    forceRecreate: opts.forceRecreate === true,
    removeOrphans: opts.removeOrphans === true,
    wait: opts.wait !== false,
    timeoutMs: (opts.waitTimeoutSeconds ?? 180) * 1000,
    ...(opts.services?.length ? { services: opts.services } : {}),
    ...(opts.stopTimeoutSeconds !== undefined ? { stopTimeoutSeconds: opts.stopTimeoutSeconds } : {}),
  });
  // The database sync needs the gateways: not when `up SERVICE…` leaves them out.
  if (selected.services.gateway)
    await seedGatewayDatabase({
      docker,
      stack: loaded.config,
      project: project.name,
      reporter,
      wait: opts.wait !== false,
    });
  const idle = idleProfiles(loaded, profiles);
  const runningServices = new Set(
    (await listProjectContainers(docker, project.name))
      .filter((c) => c.state === "running")
      .map((c) => c.service),
  );
  const isRunning = (profile: string) =>
    Object.entries(project.disabledServices).some(
      ([svc, p]) => p.includes(profile) && runningServices.has(svc),
    );
  return {
    project: project.name,
    dir: loaded.dir,
    profiles: project.activeProfiles,
    rendered,
    summary: result.summary,
    containers: result.containers,
    removed: result.removed,
    urls: stackUrls(loaded.config, selected),
    credentials: credentialsInfo(loaded.config, loaded.dir),
    profilesNotStarted: idle.filter((p) => !isRunning(p)),
    profilesLeftRunning: idle.filter(isRunning),
    warnings: project.warnings,
    durationMs: Date.now() - started,
  };
}

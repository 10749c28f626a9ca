/**
 * `stack deploy` as a function: render (the compose files and deploy/swarm/, refusing hand edits),
 * reach a swarm manager, build the stack's images there and push them to the registry every node
 * pulls from, create the secrets from .env, `docker stack deploy`, wait until every service has
 * converged, then remove the configs and secrets no service uses any more. The engine schedules,
 * restarts and networks; nothing here orchestrates.
 */
import { GatestackError } from "../../errors.js";
import { renderStack } from "../../render/index.js";
import {
  IMAGE_PREFIX_VAR,
  SWARM_STACK_FILE,
  secretNameVar,
  swarmNotes,
  swarmSecrets,
} from "../../render/swarm.js";
import { siteUrl, toolRoutes } from "../../render/topology.js";
import { loadStack } from "../../stack/load.js";
import { type ComposeProject, loadComposeProject } from "../compose/project.js";
import { ensureEngine } from "../engine.js";
import { ensureImages, imagesToEnsure } from "../images.js";
import type { Reporter } from "../progress.js";
import { interrupted } from "../wait.js";
import { type ServiceConvergence, waitForStack } from "./converge.js";
import { resolveEngineTarget } from "./engine-target.js";
import { removeUnusedObjects } from "./prune.js";
import { imagePrefix, pushImage } from "./registry.js";
import { requireSwarmManager } from "./resources.js";
import { ensureSecrets, type ResolvedSecret } from "./secrets.js";
import { stackDeploy } from "./stack-cli.js";

/** Addon profiles a Swarm deployment runs (every enabled addon but CI, which runs beside the repository). */
const SWARM_PROFILES = ["monitoring", "logging"];

export interface DeployOptions {
  dir: string;
  reporter: Reporter;
  host?: string;
  context?: string;
  registry?: string;
  /** rebuild the images even when present */
  build?: boolean;
  /** return once `docker stack deploy` accepted the file, without waiting */
  wait?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface DeployResult {
  stack: string;
  dir: string;
  /** the manager reached: `--host`, a context, DOCKER_HOST or the local engine */
  engine: string;
  nodes: number;
  managers: number;
  registry: string | null;
  rendered: string[];
  images: Array<{ image: string; pushed: string | null }>;
  secrets: ResolvedSecret[];
  services: ServiceConvergence[];
  removed: { configs: string[]; secrets: string[] };
  urls: Array<{ name: string; url: string }>;
  notes: string[];
  warnings: string[];
  durationMs: number;
}

export async function deploy(opts: DeployOptions): Promise<DeployResult> {
  const started = Date.now();
  const { reporter } = opts;
  const check = () => {
    if (opts.signal?.aborted) throw interrupted();
  };
  const loaded = await loadStack(opts.dir);
  const stack = loaded.config;
  const prefix = imagePrefix(opts.registry);
  const warnings: string[] = [];

  const renderTask = reporter.task("render", "Render generated files (compose and deploy/swarm)");
  renderTask.running();
  const rendered: string[] = [];
  try {
    for (const target of ["compose", "swarm"] as const) {
      const report = await renderStack(loaded, { refuseHandEdits: true, target });
      rendered.push(...report.files.filter((f) => f.status !== "unchanged").map((f) => f.path));
    }
    renderTask.done(rendered.length ? `${rendered.length} file(s) updated` : "up to date");
  } catch (err) {
    renderTask.fail(err instanceof Error ? err.message : String(err));
    throw err;
  }
  check();

  const target = await resolveEngineTarget({
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.context !== undefined ? { context: opts.context } : {}),
  });
  const docker = target.docker;
  const engineTask = reporter.task("engine", `Swarm manager (${target.description})`);
  engineTask.running();
  let swarm: Awaited<ReturnType<typeof requireSwarmManager>>;
  try {
    await ensureEngine(docker);
    swarm = await requireSwarmManager(docker, target.description);
    engineTask.done(`${swarm.nodes} node${swarm.nodes === 1 ? "" : "s"}, ${swarm.managers} manager(s)`);
  } catch (err) {
    engineTask.fail();
    throw err;
  }
  if (prefix === "" && swarm.nodes > 1) {
    const message = `no --registry: the images built here stay on the manager, so tasks scheduled on the other ${swarm.nodes - 1} node(s) cannot pull them — give --registry HOST:PORT (a registry every node can pull from)`;
    warnings.push(message);
    reporter.warn(message);
  }
  for (const note of swarmNotes(stack)) reporter.info(note);
  check();

  const project = await swarmComposeProject(loaded.dir, stack.name, loaded.env);
  const needs = await imagesToEnsure(project);
  await ensureImages(docker, project, {
    reporter,
    build: opts.build === true,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  check();
  const images: DeployResult["images"] = [];
  for (const need of needs) {
    if (need.source === "pull") continue;
    if (prefix === "") {
      images.push({ image: need.image, pushed: null });
      continue;
    }
    const task = reporter.task(`push:${need.image}`, `Push ${need.image}`);
    await pushImage(docker, need.image, prefix, task);
    images.push({ image: need.image, pushed: `${prefix}${need.image}` });
    check();
  }

  const secretsTask = reporter.task("secrets", "Secrets from .env");
  secretsTask.running();
  let secrets: ResolvedSecret[];
  try {
    secrets = await ensureSecrets(docker, stack.name, swarmSecrets(stack), loaded.env);
    const created = secrets.filter((s) => s.created).length;
    secretsTask.done(`${secrets.length} secret(s), ${created} new`);
  } catch (err) {
    secretsTask.fail();
    throw err;
  }
  check();

  const deployTask = reporter.task("deploy", `docker stack deploy ${stack.name}`);
  deployTask.running();
  const variables: Record<string, string> = { [IMAGE_PREFIX_VAR]: prefix };
  for (const s of secrets) variables[secretNameVar(s.key)] = s.name;
  try {
    await stackDeploy(SWARM_STACK_FILE, stack.name, prefix === "" ? "never" : "always", {
      env: { ...target.cliEnv, ...variables },
      cwd: loaded.dir,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    deployTask.done();
  } catch (err) {
    deployTask.fail();
    throw err;
  }

  let services: ServiceConvergence[] = [];
  let removed: DeployResult["removed"] = { configs: [], secrets: [] };
  if (opts.wait !== false) {
    services = await waitForStack(docker, stack.name, {
      reporter,
      timeoutMs: (opts.timeoutSeconds ?? 300) * 1000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    removed = await removeUnusedObjects(docker, stack.name);
  }

  const site = siteUrl(stack);
  return {
    stack: stack.name,
    dir: loaded.dir,
    engine: target.description,
    nodes: swarm.nodes,
    managers: swarm.managers,
    registry: prefix === "" ? null : prefix.slice(0, -1),
    rendered,
    images,
    secrets,
    services,
    removed,
    urls: [
      { name: "Site", url: `${site}/` },
      ...toolRoutes(stack)
        .filter((r) => r.upstream.split(":")[0] !== "jenkins")
        .map((r) => ({ name: r.path.slice(1), url: `${site}${r.path}/` })),
    ],
    notes: swarmNotes(stack),
    warnings,
    durationMs: Date.now() - started,
  };
}

/** compose.yaml read with the profiles a Swarm deployment runs: the images to build and to pull. */
async function swarmComposeProject(
  dir: string,
  name: string,
  dotenv: Record<string, string>,
): Promise<ComposeProject> {
  try {
    // the addons that are off define no profile: asking for theirs selects nothing
    return await loadComposeProject({
      dir,
      projectName: name,
      dotenv,
      profiles: SWARM_PROFILES,
      unknownProfiles: "ignore",
    });
  } catch (err) {
    if (err instanceof GatestackError) throw err;
    throw new GatestackError("E_RENDER_FAILED", `cannot read compose.yaml: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

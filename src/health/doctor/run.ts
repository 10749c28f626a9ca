/**
 * `stack doctor`: what `stack up` will need of this machine, checked before it runs — the engine and
 * its API version, a Compose CLI, the published ports, memory for the enabled addons,
 * vm.max_map_count when Elasticsearch is on, the images or a registry, the folder's git history
 * when Jenkins is on. Reads only: the Compose model is the one stack.yaml renders now (`stack up`
 * renders first), written to a temporary file, never into the stack folder.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type Dockerode from "dockerode";
import { errorMessage, isGatestackError } from "../../errors.js";
import { planRender } from "../../render/index.js";
import { listProjectContainers } from "../../runtime/actual.js";
import {
  COMPOSE_FILE,
  type ComposeProject,
  defaultComposeFiles,
  loadComposeProject,
} from "../../runtime/compose/project.js";
import { connectDocker } from "../../runtime/engine.js";
import type { ADDON_PROFILES } from "../../stack/components.js";
import type { LoadedStack } from "../../stack/load.js";
import { worst } from "../checks/context.js";
import { round } from "../probe/http.js";
import { doctorCheck } from "./checks/check.js";
import { composeCliCheck, findComposeCli } from "./checks/compose-cli.js";
import { engineChecks } from "./checks/engine.js";
import { gitChecks } from "./checks/git.js";
import { imageChecks } from "./checks/images.js";
import { maxMapCountCheck } from "./checks/kernel.js";
import { memoryCheck } from "./checks/memory.js";
import { portChecks } from "./checks/ports.js";
import {
  DOCTOR_SCHEMA_VERSION,
  DOCTOR_SECTIONS,
  type DoctorCheck,
  type DoctorReport,
  type DoctorSection,
} from "./report.js";

export interface DoctorOptions {
  /** Bound of every single probe (engine ping, registry, CLI), ms. */
  timeoutMs: number;
  docker?: Dockerode;
}

export const DEFAULT_DOCTOR_TIMEOUT_MS = 3000;

/** The addon profiles stack.yaml turns on (the ones `stack up --profile …` can start). */
export function enabledProfiles(loaded: Pick<LoadedStack, "config">): string[] {
  const a = loaded.config.addons;
  const on: Record<keyof typeof ADDON_PROFILES, boolean> = {
    monitoring: a.prometheus.enabled || a.grafana.enabled,
    logging: a.elk.enabled,
    ci: a.jenkins.enabled,
  };
  return (Object.keys(on) as Array<keyof typeof ADDON_PROFILES>).filter((p) => on[p]);
}

/** The Compose model stack.yaml renders now, with the folder's override file, every enabled addon on. */
async function plannedProject(loaded: LoadedStack): Promise<ComposeProject> {
  const compose = planRender(loaded).find((a) => a.path === COMPOSE_FILE);
  const tmp = await mkdtemp(path.join(tmpdir(), "gatestack-doctor-"));
  try {
    const files: string[] = [];
    if (compose) {
      files.push(path.join(tmp, COMPOSE_FILE));
      await writeFile(files[0] as string, compose.content);
    } else files.push(COMPOSE_FILE);
    files.push(...defaultComposeFiles(loaded.dir).files.filter((f) => path.basename(f) !== COMPOSE_FILE));
    return await loadComposeProject({
      dir: loaded.dir,
      projectName: loaded.config.name,
      dotenv: loaded.env,
      profiles: enabledProfiles(loaded),
      files,
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A section whose checks could not run says why instead of crashing the report. */
async function guarded(
  section: DoctorSection,
  name: string,
  run: () => Promise<DoctorCheck[]>,
): Promise<DoctorCheck[]> {
  try {
    return await run();
  } catch (err) {
    return [
      doctorCheck(section, name, "fail", "could not be checked", {
        reason: errorMessage(err),
        ...(isGatestackError(err) && err.hint ? { hint: err.hint } : {}),
      }),
    ];
  }
}

export async function runDoctor(loaded: LoadedStack, opts: DoctorOptions): Promise<DoctorReport> {
  const started = performance.now();
  const generatedAt = new Date();
  const docker = opts.docker ?? connectDocker();
  const [engine, cli, project] = await Promise.all([
    engineChecks(docker, opts.timeoutMs),
    findComposeCli(opts.timeoutMs),
    plannedProject(loaded).then(
      (p) => ({ ok: true as const, project: p }),
      (err: unknown) => ({ ok: false as const, err }),
    ),
  ]);
  const live = engine.engine ? docker : undefined;
  const checks: DoctorCheck[] = [...engine.checks, composeCliCheck(cli)];
  if (project.ok) {
    const p = project.project;
    const running = live
      ? new Set(
          (await listProjectContainers(live, p.name).catch(() => []))
            .filter((c) => c.state === "running")
            .map((c) => c.service),
        )
      : new Set<string>();
    const parts = await Promise.all([
      guarded("ports", "published ports", () => portChecks(live, p)),
      guarded("memory", "memory", async () => [await memoryCheck(live, p, running)]),
      guarded("images", "images", () => imageChecks(live, p, opts.timeoutMs)),
    ]);
    checks.push(...parts.flat());
  } else {
    checks.push(
      doctorCheck("ports", "compose model", "fail", "the stack's Compose model does not load", {
        reason: errorMessage(project.err),
        hint: (isGatestackError(project.err) && project.err.hint) || "run `stack validate`",
      }),
    );
  }
  if (loaded.config.addons.elk.enabled) checks.push(await maxMapCountCheck());
  if (loaded.config.addons.jenkins.enabled)
    checks.push(
      ...(await guarded("git", "stack folder repository", () => gitChecks(loaded.dir, opts.timeoutMs))),
    );

  const sections = DOCTOR_SECTIONS.map((name) => {
    const own = checks.filter((c) => c.section === name);
    return { name, status: worst(own.map((c) => c.status)), checks: own };
  }).filter((s) => s.checks.length > 0);
  const status = worst(sections.map((s) => s.status));
  return {
    schemaVersion: DOCTOR_SCHEMA_VERSION,
    stack: loaded.config.name,
    status,
    exitCode: status === "fail" ? 2 : status === "warn" ? 1 : 0,
    generatedAt: generatedAt.toISOString(),
    durationMs: round(performance.now() - started),
    engine: engine.engine,
    sections,
  };
}

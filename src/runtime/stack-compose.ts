/**
 * The Compose model of a stack folder, read the one way every command reads it (`stack up`,
 * `stack config`, `restart|stop|start|exec`): compose.yaml and its override file in the folder,
 * interpolated from the stack's .env and the process environment, with the profiles asked for.
 */
import type Dockerode from "dockerode";
import { GatestackError, isGatestackError } from "../errors.js";
import { renderStack } from "../render/index.js";
import { ADDON_PROFILES } from "../stack/components.js";
import { envVarsFor } from "../stack/env-vars.js";
import { type LoadedStack, loadStack } from "../stack/load.js";
import { composeModelFile } from "./compose/model-file.js";
import { type ComposeProject, loadComposeProject } from "./compose/project.js";
import { findDeployment } from "./deployment.js";
import type { EngineTargetOptions } from "./swarm/engine-target.js";

export interface StackComposeOptions {
  /** Profiles the compose files define, or `*`. */
  profiles?: string[];
  /** Services named on the command line (enabled whatever their profiles). */
  enable?: string[];
  processEnv?: Record<string, string | undefined>;
}

/** Which stack.yaml switch renders an addon profile's services. */
const ADDON_SWITCHES: Record<keyof typeof ADDON_PROFILES, string> = {
  monitoring: "addons.prometheus.enabled or addons.grafana.enabled",
  logging: "addons.elk.enabled",
  ci: "addons.jenkins.enabled",
};

export async function loadStackProject(
  loaded: Pick<LoadedStack, "dir" | "config" | "env">,
  opts: StackComposeOptions = {},
): Promise<ComposeProject> {
  try {
    return await loadComposeProject({
      dir: loaded.dir,
      projectName: loaded.config.name,
      dotenv: loaded.env,
      ...(opts.profiles ? { profiles: opts.profiles } : {}),
      ...(opts.enable?.length ? { enable: opts.enable } : {}),
      ...(opts.processEnv ? { processEnv: opts.processEnv } : {}),
    });
  } catch (err) {
    // An addon profile whose addons stack.yaml leaves off: say which switch renders them.
    const profile = isGatestackError(err) ? /^--profile (.+)$/.exec(err.place ?? "")?.[1] : undefined;
    if (profile && profile in ADDON_SWITCHES) {
      const e = err as GatestackError;
      throw new GatestackError("E_USAGE", e.message, {
        exitCode: 2,
        place: e.place as string,
        hint: `profile ${profile} holds ${ADDON_PROFILES[profile as keyof typeof ADDON_PROFILES].join(", ")}, rendered when stack.yaml sets ${ADDON_SWITCHES[profile as keyof typeof ADDON_SWITCHES]}: true`,
      });
    }
    throw err;
  }
}

export interface RunningStack {
  loaded: LoadedStack;
  /** Every service of the files (profiles `*`): the commands act on containers whatever started them. */
  project: ComposeProject;
  docker: Dockerode;
}

/**
 * A stack folder run by `stack up` on the engine reached (`--host`/`--context`), for the commands
 * that act on its containers (`stop`, `start`, `restart`, `exec`). Unknown service names are usage
 * errors; a Swarm deployment is refused with what to use instead.
 */
export async function runningStack(
  dir: string,
  services: string[],
  engine: EngineTargetOptions,
  command: string,
): Promise<RunningStack> {
  const loaded = await loadStack(dir);
  const project = await loadStackProject(loaded, { profiles: ["*"], enable: services });
  const deployment = await findDeployment(loaded.config.name, engine);
  if (deployment.kind === "swarm") {
    throw new GatestackError(
      "E_USAGE",
      `${loaded.config.name} runs as a Swarm stack here: stack ${command} works on the containers of stack up`,
      {
        exitCode: 2,
        hint: "on a swarm use `docker service update --force <stack>_<service>` or `docker service scale`",
      },
    );
  }
  return { loaded, project, docker: deployment.docker };
}

export interface StackConfigResult {
  /** The resolved model as a Compose file (what `docker compose config` prints). */
  model: Record<string, unknown>;
  project: ComposeProject;
  /** Generated files stack.yaml would change (`stack up` renders them first; `stack config` reads the files as they are). */
  stale: string[];
}

export const MASK = "********";

/** The values of the stack's secret variables in .env (not fixed values, usernames or public keys). */
export function secretValues(loaded: Pick<LoadedStack, "config" | "env">): string[] {
  return envVarsFor(loaded.config)
    .filter(
      (v) => v.generate?.kind !== "fixed" && v.generate?.kind !== "public-key" && !/_USER$/.test(v.name),
    )
    .map((v) => loaded.env[v.name] ?? process.env[v.name])
    .filter((v): v is string => typeof v === "string" && v.length >= 4)
    .sort((a, b) => b.length - a.length);
}

/** Every occurrence of a secret value in the model's strings replaced by ********. */
export function maskSecrets<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const walk = (node: unknown): unknown => {
    if (typeof node === "string") return secrets.reduce((s, secret) => s.split(secret).join(MASK), node);
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node === "object" && node !== null)
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(value) as T;
}

/**
 * `stack config`: the model `stack up` runs, from the same loading path, and whether a render is
 * pending. The stack's secrets are masked unless `showSecrets`.
 */
export async function stackConfig(
  dir: string,
  opts: StackComposeOptions & { showSecrets?: boolean } = {},
): Promise<StackConfigResult> {
  const loaded = await loadStack(dir);
  const report = await renderStack(loaded, { check: true });
  const stale = report.files.filter((f) => f.status !== "unchanged").map((f) => f.path);
  const project = await loadStackProject(loaded, opts);
  const model = composeModelFile(project);
  return { model: opts.showSecrets ? model : maskSecrets(model, secretValues(loaded)), project, stale };
}

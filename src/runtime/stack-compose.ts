/**
 * The Compose model of a stack folder, read the one way every command reads it (`stack up`,
 * `stack config`, `restart|stop|start|exec`): compose.yaml and its override file in the folder,
 * interpolated from the stack's .env and the process environment, with the profiles asked for.
 */
import { GatestackError, isGatestackError } from "../errors.js";
import { ADDON_PROFILES } from "../stack/components.js";
import type { LoadedStack } from "../stack/load.js";
import { type ComposeProject, loadComposeProject } from "./compose/project.js";

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

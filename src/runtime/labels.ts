/**
 * The labels Docker Compose puts on what it creates. `stack up` writes the same ones so
 * `docker compose ps` / `down` in the stack folder see the same project, and back.
 */
import { GATESTACK_VERSION } from "../version.js";

export const LABEL = {
  project: "com.docker.compose.project",
  service: "com.docker.compose.service",
  containerNumber: "com.docker.compose.container-number",
  configHash: "com.docker.compose.config-hash",
  oneoff: "com.docker.compose.oneoff",
  workingDir: "com.docker.compose.project.working_dir",
  configFiles: "com.docker.compose.project.config_files",
  version: "com.docker.compose.version",
  image: "com.docker.compose.image",
  dependsOn: "com.docker.compose.depends_on",
  network: "com.docker.compose.network",
  volume: "com.docker.compose.volume",
  /** Ours: hash of the generated config files a container bind-mounts (recreate when they change). */
  mountsHash: "dev.gatestack.mounts-hash",
  /** Ours: which gatestack version created the resource. */
  createdBy: "dev.gatestack.version",
} as const;

/** Value of com.docker.compose.version: the Compose spec level we follow, tagged with our version. */
export const COMPOSE_VERSION_LABEL = `2.29.0+gatestack.${GATESTACK_VERSION}`;

/** Docker API label filter for one project's resources. */
export function projectFilter(project: string): { label: string[] } {
  return { label: [`${LABEL.project}=${project}`] };
}

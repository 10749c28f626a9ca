/** What the engine runs for a project: its containers, read through the Compose labels. */
import type Dockerode from "dockerode";
import { dockerError } from "./engine.js";
import { LABEL, projectFilter } from "./labels.js";

export type HealthState = "healthy" | "unhealthy" | "starting";

export interface ActualContainer {
  id: string;
  /** Without the leading slash. */
  name: string;
  service: string;
  number: number;
  configHash: string;
  mountsHash: string;
  imageId: string;
  /** created, running, restarting, exited, paused, dead, removing. */
  state: string;
  /** The engine's human status ("Up 2 minutes (healthy)"). */
  status: string;
  health?: HealthState;
  ports: Array<{ ip?: string; privatePort: number; publicPort?: number; type: string }>;
  oneoff: boolean;
  labels: Record<string, string>;
}

/** Health from the list status text (the list API has no health field on older engines). */
export function healthFromStatus(status: string): HealthState | undefined {
  if (/\(healthy\)/.test(status)) return "healthy";
  if (/\(unhealthy\)/.test(status)) return "unhealthy";
  if (/\(health: starting\)/.test(status)) return "starting";
  return undefined;
}

export function toActualContainer(info: Dockerode.ContainerInfo): ActualContainer {
  const labels = info.Labels ?? {};
  const c: ActualContainer = {
    id: info.Id,
    name: (info.Names?.[0] ?? info.Id).replace(/^\//, ""),
    service: labels[LABEL.service] ?? "",
    number: Number(labels[LABEL.containerNumber] ?? 0),
    configHash: labels[LABEL.configHash] ?? "",
    mountsHash: labels[LABEL.mountsHash] ?? "",
    imageId: info.ImageID,
    state: info.State,
    status: info.Status,
    ports: (info.Ports ?? []).map((p) => ({
      ...(p.IP ? { ip: p.IP } : {}),
      privatePort: p.PrivatePort,
      ...(p.PublicPort ? { publicPort: p.PublicPort } : {}),
      type: p.Type,
    })),
    oneoff: (labels[LABEL.oneoff] ?? "False") === "True",
    labels,
  };
  const health = healthFromStatus(info.Status);
  if (health) c.health = health;
  return c;
}

/** The project's service containers (one-off `run` containers excluded), sorted by service and number. */
export async function listProjectContainers(docker: Dockerode, project: string): Promise<ActualContainer[]> {
  let infos: Dockerode.ContainerInfo[];
  try {
    infos = await docker.listContainers({ all: true, filters: projectFilter(project) });
  } catch (err) {
    throw dockerError("listing containers", err);
  }
  return infos
    .map(toActualContainer)
    .filter((c) => !c.oneoff && c.service !== "")
    .sort((a, b) => (a.service === b.service ? a.number - b.number : a.service < b.service ? -1 : 1));
}

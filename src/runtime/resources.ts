/** Project networks and volumes: created when missing, labelled like Compose. */
import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import { GATESTACK_VERSION } from "../stack/images.js";
import type { ComposeProject } from "./compose/project.js";
import { dockerError } from "./engine.js";
import { COMPOSE_VERSION_LABEL, LABEL, projectFilter } from "./labels.js";
import type { Reporter } from "./progress.js";

async function findNetwork(
  docker: Dockerode,
  name: string,
): Promise<Dockerode.NetworkInspectInfo | undefined> {
  const list = await docker.listNetworks({ filters: { name: [name] } });
  return list.find((n) => n.Name === name);
}

export async function ensureNetworks(
  docker: Dockerode,
  project: ComposeProject,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<void> {
  for (const [key, net] of Object.entries(project.networks)) {
    const task = reporter.task(`network:${net.name}`, `Network ${net.name}`);
    try {
      const existing = await findNetwork(docker, net.name);
      if (existing) {
        const owner = existing.Labels?.[LABEL.project];
        if (!net.external && owner !== project.name) {
          reporter.warn(
            `network ${net.name} exists but was not created for project ${project.name}${owner ? ` (it belongs to ${owner})` : ""}; using it anyway (set external: true to make that explicit)`,
          );
        }
        task.skip("exists");
        continue;
      }
      if (net.external) {
        task.fail("missing");
        throw new GatestackError("E_DOCKER", `network ${net.name} is declared external but does not exist`, {
          hint: `create it first: docker network create ${net.name}`,
        });
      }
      if (signal?.aborted) return;
      task.running("creating");
      const opts: Dockerode.NetworkCreateOptions = {
        Name: net.name,
        Driver: net.driver ?? "bridge",
        Internal: net.internal,
        Attachable: net.attachable,
        EnableIPv6: net.enableIpv6,
        Options: net.driverOpts,
        CheckDuplicate: true,
        Labels: {
          ...net.labels,
          [LABEL.project]: project.name,
          [LABEL.network]: key,
          [LABEL.version]: COMPOSE_VERSION_LABEL,
          [LABEL.createdBy]: GATESTACK_VERSION,
        },
      };
      if (net.ipam) {
        opts.IPAM = {
          Driver: net.ipam.driver ?? "default",
          Config: net.ipam.config.map((c) => ({
            ...(c.subnet ? { Subnet: c.subnet } : {}),
            ...(c.gateway ? { Gateway: c.gateway } : {}),
            ...(c.ip_range ? { IPRange: c.ip_range } : {}),
          })),
        };
      }
      await docker.createNetwork(opts);
      task.done("created");
    } catch (err) {
      task.fail();
      throw dockerError(`creating network ${net.name}`, err);
    }
  }
}

export async function ensureVolumes(
  docker: Dockerode,
  project: ComposeProject,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<void> {
  for (const [key, vol] of Object.entries(project.volumes)) {
    const task = reporter.task(`volume:${vol.name}`, `Volume ${vol.name}`);
    try {
      let exists = true;
      try {
        await docker.getVolume(vol.name).inspect();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
        exists = false;
      }
      if (exists) {
        task.skip("exists");
        continue;
      }
      if (vol.external) {
        task.fail("missing");
        throw new GatestackError("E_DOCKER", `volume ${vol.name} is declared external but does not exist`, {
          hint: `create it first: docker volume create ${vol.name}`,
        });
      }
      if (signal?.aborted) return;
      task.running("creating");
      await docker.createVolume({
        Name: vol.name,
        Driver: vol.driver ?? "local",
        DriverOpts: vol.driverOpts,
        Labels: {
          ...vol.labels,
          [LABEL.project]: project.name,
          [LABEL.volume]: key,
          [LABEL.version]: COMPOSE_VERSION_LABEL,
          [LABEL.createdBy]: GATESTACK_VERSION,
        },
      });
      task.done("created");
    } catch (err) {
      task.fail();
      throw dockerError(`creating volume ${vol.name}`, err);
    }
  }
}

/** The project's networks (by label), for `down`. */
export async function listProjectNetworks(
  docker: Dockerode,
  project: string,
): Promise<Dockerode.NetworkInspectInfo[]> {
  try {
    return await docker.listNetworks({ filters: projectFilter(project) });
  } catch (err) {
    throw dockerError("listing networks", err);
  }
}

/** The project's volumes (by label), for `down --volumes`. */
export async function listProjectVolumes(
  docker: Dockerode,
  project: string,
): Promise<Array<{ Name: string }>> {
  try {
    const res = await docker.listVolumes({ filters: projectFilter(project) });
    return res.Volumes ?? [];
  } catch (err) {
    throw dockerError("listing volumes", err);
  }
}

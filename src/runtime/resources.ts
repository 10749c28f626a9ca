/** Project networks and volumes: created when missing, labelled like Compose. */
import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import { GATESTACK_VERSION } from "../version.js";
import type { ComposeProject } from "./compose/project.js";
import { dockerError } from "./engine.js";
import { COMPOSE_VERSION_LABEL, LABEL, projectFilter } from "./labels.js";
import type { Reporter } from "./progress.js";

/** One network or volume of the project, with how to look it up and create it. */
interface ProjectResource {
  kind: "network" | "volume";
  /** Engine-level name. */
  name: string;
  /** Name in compose.yaml (the com.docker.compose.network/.volume label). */
  key: string;
  external: boolean;
  labels: Record<string, string>;
  /** The existing resource's project label, or undefined when it does not exist. */
  find(): Promise<{ owner: string | undefined } | undefined>;
  create(labels: Record<string, string>): Promise<unknown>;
}

async function ensureResource(
  project: ComposeProject,
  reporter: Reporter,
  r: ProjectResource,
): Promise<void> {
  const title = `${r.kind === "network" ? "Network" : "Volume"} ${r.name}`;
  const task = reporter.task(`${r.kind}:${r.name}`, title);
  try {
    const existing = await r.find();
    if (existing) {
      if (!r.external && existing.owner !== project.name) {
        reporter.warn(
          `${r.kind} ${r.name} exists but was not created for project ${project.name}${existing.owner ? ` (it belongs to ${existing.owner})` : ""}; using it anyway (set external: true to make that explicit)`,
        );
      }
      task.skip("exists");
      return;
    }
    if (r.external) {
      task.fail("missing");
      throw new GatestackError("E_DOCKER", `${r.kind} ${r.name} is declared external but does not exist`, {
        hint: `create it first: docker ${r.kind} create ${r.name}`,
      });
    }
    task.running("creating");
    await r.create({
      ...r.labels,
      [LABEL.project]: project.name,
      [r.kind === "network" ? LABEL.network : LABEL.volume]: r.key,
      [LABEL.version]: COMPOSE_VERSION_LABEL,
      [LABEL.createdBy]: GATESTACK_VERSION,
    });
    task.done("created");
  } catch (err) {
    task.fail();
    throw dockerError(`creating ${r.kind} ${r.name}`, err);
  }
}

export async function ensureNetworks(
  docker: Dockerode,
  project: ComposeProject,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<void> {
  for (const [key, net] of Object.entries(project.networks)) {
    if (signal?.aborted) return;
    await ensureResource(project, reporter, {
      kind: "network",
      name: net.name,
      key,
      external: net.external,
      labels: net.labels,
      async find() {
        const found = (await docker.listNetworks({ filters: { name: [net.name] } })).find(
          (n) => n.Name === net.name,
        );
        return found ? { owner: found.Labels?.[LABEL.project] } : undefined;
      },
      create(labels) {
        const opts: Dockerode.NetworkCreateOptions = {
          Name: net.name,
          Driver: net.driver ?? "bridge",
          Internal: net.internal,
          Attachable: net.attachable,
          EnableIPv6: net.enableIpv6,
          Options: net.driverOpts,
          CheckDuplicate: true,
          Labels: labels,
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
        return docker.createNetwork(opts);
      },
    });
  }
}

export async function ensureVolumes(
  docker: Dockerode,
  project: ComposeProject,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<void> {
  for (const [key, vol] of Object.entries(project.volumes)) {
    if (signal?.aborted) return;
    await ensureResource(project, reporter, {
      kind: "volume",
      name: vol.name,
      key,
      external: vol.external,
      labels: vol.labels,
      async find() {
        try {
          const info = await docker.getVolume(vol.name).inspect();
          return { owner: info.Labels?.[LABEL.project] };
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 404) return undefined;
          throw err;
        }
      },
      create(labels) {
        return docker.createVolume({
          Name: vol.name,
          Driver: vol.driver ?? "local",
          DriverOpts: vol.driverOpts,
          Labels: labels,
        });
      },
    });
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

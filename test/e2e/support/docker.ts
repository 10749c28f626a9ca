/** Looking at what the engine holds for a project, straight through the Docker API. */
import Docker from "dockerode";

export const docker = new Docker();

const byProject = (project: string) => ({ label: [`com.docker.compose.project=${project}`] });

export async function projectContainers(project: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: byProject(project) });
}

export async function projectNetworks(project: string): Promise<Docker.NetworkInspectInfo[]> {
  return docker.listNetworks({ filters: byProject(project) });
}

/** Removes everything labelled with the project (test cleanup, whatever state the test left). */
export async function purgeProject(project: string): Promise<void> {
  const quietly = (p: Promise<unknown>) => p.catch(() => {});
  for (const c of await projectContainers(project))
    await quietly(docker.getContainer(c.Id).remove({ force: true }));
  for (const n of await projectNetworks(project)) await quietly(docker.getNetwork(n.Id).remove());
  const vols = await docker.listVolumes({ filters: byProject(project) });
  for (const v of vols.Volumes ?? []) await quietly(docker.getVolume(v.Name).remove());
  // Service images built for the project (labelled by stack up): unique names per run would pile up.
  for (const img of await docker.listImages({ filters: byProject(project) })) {
    await quietly(docker.getImage(img.Id).remove({ force: true }));
  }
}

/** A unique, valid project name for one test run. */
export function uniqueProject(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}`.toLowerCase();
}

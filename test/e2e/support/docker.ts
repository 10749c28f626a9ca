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
  for (const c of await projectContainers(project))
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => {});
  for (const n of await projectNetworks(project))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => {});
  const vols = await docker.listVolumes({ filters: byProject(project) });
  for (const v of vols.Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => {});
}

/** A unique, valid project name for one test run. */
export function uniqueProject(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}`.toLowerCase();
}

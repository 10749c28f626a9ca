/** `stack down`: the project's containers and networks go; volumes and built images only when asked. */
import type Dockerode from "dockerode";
import { dockerError } from "./engine.js";
import { LABEL, projectFilter } from "./labels.js";
import type { Reporter } from "./progress.js";
import { listProjectNetworks, listProjectVolumes } from "./resources.js";

export interface DownOptions {
  reporter: Reporter;
  /** Remove the project's named volumes too (data is lost). */
  volumes?: boolean;
  /** Remove the images `stack up` built for this stack (FastAPI services). */
  rmi?: boolean;
  /** Seconds to wait for a graceful stop (default: each container's own stop timeout). */
  timeoutSeconds?: number;
}

export interface DownResult {
  project: string;
  containers: string[];
  networks: string[];
  volumes: string[];
  images: string[];
}

const ignore =
  (...codes: number[]) =>
  (err: unknown) => {
    if (!codes.includes((err as { statusCode?: number }).statusCode ?? 0)) throw err;
  };

export async function down(docker: Dockerode, project: string, opts: DownOptions): Promise<DownResult> {
  const result: DownResult = { project, containers: [], networks: [], volumes: [], images: [] };
  let infos: Dockerode.ContainerInfo[];
  try {
    infos = await docker.listContainers({ all: true, filters: projectFilter(project) });
  } catch (err) {
    throw dockerError("listing containers", err);
  }
  // Stop everything at once (each with its own grace period), then remove.
  await Promise.all(
    infos.map(async (info) => {
      const name = (info.Names?.[0] ?? info.Id).replace(/^\//, "");
      const task = opts.reporter.task(`container:${name}`, `Container ${name}`);
      const ref = docker.getContainer(info.Id);
      try {
        if (info.State === "running" || info.State === "restarting" || info.State === "paused") {
          task.running("stopping");
          await ref
            .stop(opts.timeoutSeconds === undefined ? {} : { t: opts.timeoutSeconds })
            .catch(ignore(304, 404));
        }
        task.running("removing");
        await ref.remove({ force: true, v: opts.volumes === true }).catch(ignore(404));
        task.done("removed");
        result.containers.push(name);
      } catch (err) {
        task.fail();
        throw dockerError(`removing ${name}`, err);
      }
    }),
  );
  for (const net of await listProjectNetworks(docker, project)) {
    const task = opts.reporter.task(`network:${net.Name}`, `Network ${net.Name}`);
    try {
      await docker.getNetwork(net.Id).remove().catch(ignore(404));
      task.done("removed");
      result.networks.push(net.Name);
    } catch (err) {
      task.fail();
      throw dockerError(`removing network ${net.Name}`, err);
    }
  }
  if (opts.volumes) {
    for (const vol of await listProjectVolumes(docker, project)) {
      const task = opts.reporter.task(`volume:${vol.Name}`, `Volume ${vol.Name}`);
      try {
        await docker.getVolume(vol.Name).remove().catch(ignore(404));
        task.done("removed");
        result.volumes.push(vol.Name);
      } catch (err) {
        task.fail();
        throw dockerError(`removing volume ${vol.Name}`, err);
      }
    }
  }
  if (opts.rmi) {
    let images: Dockerode.ImageInfo[] = [];
    try {
      images = await docker.listImages({ filters: { label: [`${LABEL.project}=${project}`] } });
    } catch (err) {
      throw dockerError("listing images", err);
    }
    for (const img of images) {
      const name = img.RepoTags?.find((t) => t !== "<none>:<none>") ?? img.Id;
      const task = opts.reporter.task(`image:${name}`, `Image ${name}`);
      try {
        await docker.getImage(img.Id).remove({ force: true }).catch(ignore(404));
        task.done("removed");
        result.images.push(name);
      } catch (err) {
        task.fail();
        throw dockerError(`removing image ${name}`, err);
      }
    }
  }
  return result;
}

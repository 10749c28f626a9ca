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
  /**
   * Images to remove (Compose's `--rmi`): `local`, the images `stack up` built for this stack (its
   * FastAPI services, labelled with the project); `all`, also every other image in `images`.
   */
  rmi?: "local" | "all";
  /** For `rmi: "all"`: the images the project's services use (from the compose files). */
  images?: string[];
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
  const removeEach = async (
    kind: "Network" | "Volume" | "Image",
    names: string[],
    remove: (name: string) => Promise<unknown>,
  ) => {
    const done: string[] = [];
    for (const name of names) {
      const task = opts.reporter.task(`${kind.toLowerCase()}:${name}`, `${kind} ${name}`);
      try {
        await remove(name).catch(ignore(404));
        task.done("removed");
        done.push(name);
      } catch (err) {
        task.fail();
        throw dockerError(`removing ${kind.toLowerCase()} ${name}`, err);
      }
    }
    return done;
  };
  const networks = await listProjectNetworks(docker, project);
  result.networks = await removeEach(
    "Network",
    networks.map((n) => n.Name),
    (name) => docker.getNetwork(networks.find((n) => n.Name === name)?.Id ?? name).remove(),
  );
  if (opts.volumes) {
    const volumes = await listProjectVolumes(docker, project);
    result.volumes = await removeEach(
      "Volume",
      volumes.map((v) => v.Name),
      (name) => docker.getVolume(name).remove(),
    );
  }
  if (opts.rmi) {
    let images: Dockerode.ImageInfo[] = [];
    try {
      images = await docker.listImages({ filters: { label: [`${LABEL.project}=${project}`] } });
    } catch (err) {
      throw dockerError("listing images", err);
    }
    // Built images carry a tag (<project>-<service>:latest); an untagged leftover goes by its id.
    const built = images.map((img) => img.RepoTags?.find((t) => t !== "<none>:<none>") ?? img.Id);
    result.images = await removeEach("Image", built, (name) => docker.getImage(name).remove({ force: true }));
    if (opts.rmi === "all") {
      // The others (pulled, shared): one still used by another container stays, with a note.
      for (const name of [...new Set(opts.images ?? [])].filter((n) => !built.includes(n)).sort()) {
        const task = opts.reporter.task(`image:${name}`, `Image ${name}`);
        try {
          await docker.getImage(name).remove();
          task.done("removed");
          result.images.push(name);
        } catch (err) {
          const code = (err as { statusCode?: number }).statusCode;
          if (code === 404) task.skip("not present");
          else if (code === 409) task.skip("in use by another container: kept");
          else {
            task.fail();
            throw dockerError(`removing image ${name}`, err);
          }
        }
      }
    }
  }
  return result;
}

/**
 * Images a project needs, made present before any container changes: FastAPI services built from
 * their folders, the gateway built from this package's Dockerfile, everything else pulled.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import { PACKAGE_ROOT } from "../stack/package-paths.js";
import { packContext } from "./build-context.js";
import type { BuildConfig, ComposeProject } from "./compose/project.js";
import { dockerfileBaseImages } from "./dockerfile-bases.js";
import { dockerError } from "./engine.js";
import { jsonLines } from "./json-lines.js";
import { LABEL } from "./labels.js";
import type { Reporter, Task } from "./progress.js";

export const GATEWAY_IMAGE_PREFIX = "gatestack/gateway:";

export type ImageSource = "build" | "gateway" | "pull";

export interface ImageNeed {
  image: string;
  services: string[];
  source: ImageSource;
  build?: BuildConfig;
  /** Images whose builds start FROM this one (a gateway image only a build needs has no services). */
  baseOf?: string[];
}

export const OFFLINE_HINT =
  "run test/e2e/images/build-offline.sh (or `stack images --offline`) to build local stand-ins, or set images: in stack.yaml to an image you have";

/**
 * One entry per distinct image, in service order. A gatestack/gateway image is built from this
 * package's own root even when compose.yaml gives it a `build:` (the copy `stack render` makes for
 * `docker compose`): the same files, and the package root also carries the offline npm cache.
 */
export function imageNeeds(project: ComposeProject): ImageNeed[] {
  const out = new Map<string, ImageNeed>();
  for (const svc of Object.values(project.services)) {
    const known = out.get(svc.image);
    if (known) {
      known.services.push(svc.name);
      continue;
    }
    const need: ImageNeed = {
      image: svc.image,
      services: [svc.name],
      source: svc.image.startsWith(GATEWAY_IMAGE_PREFIX) ? "gateway" : svc.build ? "build" : "pull",
    };
    if (svc.build && need.source === "build") need.build = svc.build;
    out.set(svc.image, need);
  }
  return [...out.values()];
}

/**
 * The needs in the order to make them present: every build after the images it starts FROM that the
 * project makes itself (`basesOf`: a build need's base images), and a gatestack gateway image that
 * only a build starts FROM (the Jenkins image, on a stack running Kong) added as a gateway build.
 * Otherwise service order. A base image nobody here makes is left to the builder to pull.
 */
export function inBuildOrder(
  needs: readonly ImageNeed[],
  basesOf: (need: ImageNeed) => readonly string[],
): ImageNeed[] {
  const byImage = new Map(needs.map((n) => [n.image, n]));
  const ordered: ImageNeed[] = [];
  const seen = new Set<string>();
  const visit = (need: ImageNeed) => {
    if (seen.has(need.image)) return;
    seen.add(need.image);
    for (const base of need.source === "build" ? basesOf(need) : []) {
      let dep = byImage.get(base);
      if (!dep && base.startsWith(GATEWAY_IMAGE_PREFIX)) {
        dep = { image: base, services: [], source: "gateway" };
        byImage.set(base, dep);
      }
      if (!dep) continue;
      dep.baseOf = [...(dep.baseOf ?? []), need.image];
      visit(dep);
    }
    ordered.push(need);
  };
  for (const need of needs) visit(need);
  return ordered;
}

/** The base images of a build need's Dockerfile (none when it cannot be read: the build says why). */
export async function buildBases(need: ImageNeed): Promise<string[]> {
  if (!need.build) return [];
  try {
    const text = await readFile(path.join(need.build.context, need.build.dockerfile), "utf8");
    return dockerfileBaseImages(text, need.build.args);
  } catch {
    return [];
  }
}

/** Every image the project needs, in the order ensureImages makes them present. */
export async function imagesToEnsure(project: ComposeProject): Promise<ImageNeed[]> {
  const needs = imageNeeds(project);
  const bases = new Map(await Promise.all(needs.map(async (n) => [n.image, await buildBases(n)] as const)));
  return inBuildOrder(needs, (n) => bases.get(n.image) ?? []);
}

/** The image's ID, or undefined when the engine does not have it. */
export async function imageId(docker: Dockerode, image: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(image).inspect();
    return info.Id;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw dockerError(`inspecting image ${image}`, err);
  }
}

export interface EnsureImagesOptions {
  reporter: Reporter;
  /** Rebuild images that are built locally even when present (`--build`). */
  build?: boolean;
  signal?: AbortSignal;
  /** Where the gateway Dockerfile lives (default: this package's root). */
  packageRoot?: string;
}

/** Makes every image present; returns image name → image ID. */
export async function ensureImages(
  docker: Dockerode,
  project: ComposeProject,
  opts: EnsureImagesOptions,
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const needs = await imagesToEnsure(project);
  const pulls: Promise<void>[] = [];
  // Builds run one at a time (they are CPU-bound), bases first; pulls run alongside.
  for (const need of needs) {
    const task = opts.reporter.task(`image:${need.image}`, `Image ${need.image}`);
    const present = await imageId(docker, need.image);
    const rebuild = opts.build === true && need.source !== "pull";
    if (present && !rebuild) {
      ids.set(need.image, present);
      task.skip("present");
      continue;
    }
    if (need.source === "pull") {
      pulls.push(
        pullImage(docker, need.image, task, opts.signal).then((id) => {
          ids.set(need.image, id);
        }),
      );
      continue;
    }
    const id =
      need.source === "gateway"
        ? await buildGatewayImage(docker, need.image, task, opts.packageRoot ?? PACKAGE_ROOT, opts.signal)
        : await buildServiceImage(docker, need, project, task, opts.signal);
    ids.set(need.image, id);
  }
  const results = await Promise.allSettled(pulls);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return ids;
}

function isRegistryUnreachable(message: string): boolean {
  return /dial tcp|lookup |no such host|name resolution|i\/o timeout|connection refused|network is unreachable|TLS handshake|request canceled|Client\.Timeout|server misbehaving/i.test(
    message,
  );
}

function missingImageError(image: string, message: string, cause?: unknown): GatestackError {
  if (isRegistryUnreachable(message)) {
    return new GatestackError(
      "E_DOCKER",
      `image ${image} not found locally and the registry is unreachable`,
      {
        hint: OFFLINE_HINT,
        cause,
        data: { image, engineMessage: message },
      },
    );
  }
  return new GatestackError("E_DOCKER", `cannot pull image ${image}: ${message}`, {
    hint: "check the image name and tag (stack.yaml images:), or log in to the registry with `docker login`",
    cause,
    data: { image },
  });
}

export async function pullImage(
  docker: Dockerode,
  image: string,
  task: Task,
  signal?: AbortSignal,
): Promise<string> {
  task.running("pulling");
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.pull(image, signal ? { abortSignal: signal } : {})) as NodeJS.ReadableStream;
  } catch (err) {
    const e = err as { json?: { message?: string }; message?: string };
    const msg = e.json?.message ?? e.message ?? String(err);
    task.fail("pull failed");
    throw missingImageError(image, msg, err);
  }
  const layers = new Map<string, { current: number; total: number }>();
  for await (const ev of jsonLines<PullEvent>(stream as AsyncIterable<Buffer>)) {
    if (ev.error) {
      task.fail("pull failed");
      throw missingImageError(image, ev.error);
    }
    if (ev.id && ev.progressDetail?.total)
      layers.set(ev.id, { current: ev.progressDetail.current ?? 0, total: ev.progressDetail.total });
    const total = [...layers.values()].reduce((s, l) => s + l.total, 0);
    const current = [...layers.values()].reduce((s, l) => s + l.current, 0);
    if (total > 0) task.progress(`${Math.floor((current / total) * 100)}% of ${(total / 1e6).toFixed(0)} MB`);
  }
  const id = await imageId(docker, image);
  if (!id) {
    task.fail();
    throw missingImageError(image, "the pull finished without the image");
  }
  task.done("pulled");
  return id;
}

interface PullEvent {
  status?: string;
  id?: string;
  error?: string;
  progressDetail?: { current?: number; total?: number };
}

interface BuildEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

interface BuildRequest {
  context: string;
  dockerfile: string;
  tag: string;
  args: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
}

async function runBuild(
  docker: Dockerode,
  req: BuildRequest,
  task: Task,
  signal?: AbortSignal,
): Promise<string> {
  if (!existsSync(path.join(req.context, req.dockerfile))) {
    task.fail("no Dockerfile");
    throw new GatestackError(
      "E_DOCKER",
      `cannot build ${req.tag}: ${path.join(req.context, req.dockerfile)} does not exist`,
    );
  }
  task.running("sending build context");
  const buildOpts: Record<string, unknown> = {
    t: req.tag,
    dockerfile: req.dockerfile,
    buildargs: req.args,
    labels: req.labels,
    rm: true,
    forcerm: true,
  };
  if (req.target) buildOpts.target = req.target;
  if (signal) buildOpts.abortSignal = signal;
  let stream: NodeJS.ReadableStream;
  try {
    const context = await packContext(req.context, req.dockerfile);
    const mb = context.entries.reduce((sum, e) => sum + e.size, 0) / 1e6;
    task.progress(`sending build context (${mb.toFixed(1)} MB)`);
    stream = await docker.buildImage(context.stream, buildOpts);
  } catch (err) {
    task.fail("build failed");
    throw dockerError(`building ${req.tag}`, err);
  }
  const tail: string[] = [];
  let builtId: string | undefined;
  for await (const ev of jsonLines<BuildEvent>(stream as AsyncIterable<Buffer>)) {
    if (ev.error) {
      task.fail("build failed");
      const message = ev.errorDetail?.message ?? ev.error;
      const from =
        /pull access denied for ([^\s,]+)|manifest for ([^\s]+) not found|failed to resolve.*?([\w./-]+:[\w.-]+)/.exec(
          message,
        );
      const unreachable = isRegistryUnreachable(message) || from !== null;
      throw new GatestackError("E_DOCKER", `building ${req.tag} failed: ${message.trim()}`, {
        ...(unreachable ? { hint: `a base image is missing and cannot be pulled: ${OFFLINE_HINT}` } : {}),
        data: { image: req.tag, output: tail.slice(-20) },
      });
    }
    if (ev.aux?.ID) builtId = ev.aux.ID;
    if (ev.stream) {
      for (const line of ev.stream.split("\n")) {
        const l = line.trim();
        if (!l) continue;
        tail.push(l);
        if (tail.length > 50) tail.shift();
        const step = /^Step (\d+\/\d+) : (.*)$/.exec(l);
        if (step) task.progress(`step ${step[1]}: ${(step[2] as string).slice(0, 60)}`);
      }
    }
  }
  const id = (await imageId(docker, req.tag)) ?? builtId;
  if (!id) {
    task.fail();
    throw new GatestackError("E_DOCKER", `building ${req.tag} produced no image`, {
      data: { output: tail.slice(-20) },
    });
  }
  task.done("built");
  return id;
}

async function buildServiceImage(
  docker: Dockerode,
  need: ImageNeed,
  project: ComposeProject,
  task: Task,
  signal?: AbortSignal,
): Promise<string> {
  const b = need.build as BuildConfig;
  const req: BuildRequest = {
    context: b.context,
    dockerfile: b.dockerfile,
    tag: need.image,
    args: b.args,
    labels: { ...b.labels, [LABEL.project]: project.name, [LABEL.service]: need.services[0] ?? "" },
  };
  if (b.target) req.target = b.target;
  return runBuild(docker, req, task, signal);
}

/** The gateway image from this package's Dockerfile (`ARG NODE_IMAGE` keeps its default). */
export async function buildGatewayImage(
  docker: Dockerode,
  image: string,
  task: Task,
  packageRoot: string,
  signal?: AbortSignal,
): Promise<string> {
  if (!existsSync(path.join(packageRoot, "Dockerfile"))) {
    task.fail("no Dockerfile");
    throw new GatestackError(
      "E_DOCKER",
      `image ${image} is missing and ${packageRoot} has no Dockerfile to build it`,
      {
        hint: "reinstall gatestack (its package carries the gateway Dockerfile) or set images.gateway in stack.yaml",
      },
    );
  }
  return runBuild(
    docker,
    { context: packageRoot, dockerfile: "Dockerfile", tag: image, args: {}, labels: {} },
    task,
    signal,
  );
}

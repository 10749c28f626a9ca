/**
 * The stack's images: present in the engine, buildable from base images that are, or else a
 * registry that answers to pull the rest from (an air-gapped host needs them all present:
 * `stack images --offline`).
 */
import type Dockerode from "dockerode";
import { request } from "undici";
import type { ComposeProject } from "../../../runtime/compose/project.js";
import {
  buildBases,
  type ImageNeed,
  imageId,
  imagesToEnsure,
  OFFLINE_HINT,
} from "../../../runtime/images.js";
import { DEFAULT_NODE_IMAGE } from "../../../stack/images.js";
import type { DoctorCheck } from "../report.js";
import { doctorCheck } from "./check.js";

/** The registry an image reference pulls from ("docker.io" when the first part names no host). */
export function registryOf(image: string): string {
  const first = image.split("/")[0] as string;
  if (image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost"))
    return first;
  return "docker.io";
}

/** The registry's API base (Docker Hub's is registry-1.docker.io). */
function registryUrl(registry: string): string {
  return `https://${registry === "docker.io" ? "registry-1.docker.io" : registry}/v2/`;
}

/** Whether the registry's API answers at all (401 asks for a token: it answers). */
export async function registryAnswers(
  registry: string,
  timeoutMs: number,
): Promise<{ ok: boolean; why: string }> {
  try {
    const res = await request(registryUrl(registry), {
      method: "GET",
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body.dump();
    return { ok: true, why: `HTTP ${res.statusCode}` };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    return { ok: false, why: e.cause?.code ?? e.code ?? e.message };
  }
}

/** Images `stack up` would pull: missing images it does not build, and missing base images of builds. */
async function toPull(docker: Dockerode, needs: ImageNeed[]): Promise<{ present: number; pull: string[] }> {
  const made = new Set(needs.filter((n) => n.source !== "pull").map((n) => n.image));
  const pull = new Set<string>();
  let present = 0;
  for (const need of needs) {
    if (await imageId(docker, need.image)) {
      present++;
      continue;
    }
    if (need.source === "pull") {
      pull.add(need.image);
      continue;
    }
    const bases = need.source === "gateway" ? [DEFAULT_NODE_IMAGE] : await buildBases(need);
    for (const base of bases) if (!made.has(base) && !(await imageId(docker, base))) pull.add(base);
  }
  return { present, pull: [...pull].sort() };
}

export async function imageChecks(
  docker: Dockerode | undefined,
  project: ComposeProject,
  timeoutMs: number,
): Promise<DoctorCheck[]> {
  const needs = await imagesToEnsure(project);
  if (!docker) {
    return [
      doctorCheck("images", "images", "warn", `${needs.length} images: not checked`, {
        reason: "no engine to ask which images it has",
        hint: "start the engine and run `stack doctor` again",
      }),
    ];
  }
  const { present, pull } = await toPull(docker, needs);
  const built = needs.length - present;
  const checks = [
    doctorCheck(
      "images",
      "images present",
      "ok",
      `${present} of ${needs.length} in the engine${pull.length ? `; ${pull.length} to pull` : built ? "; the rest built by `stack up` from base images present" : ""}`,
    ),
  ];
  const byRegistry = new Map<string, string[]>();
  for (const image of pull)
    byRegistry.set(registryOf(image), [...(byRegistry.get(registryOf(image)) ?? []), image]);
  for (const [registry, images] of [...byRegistry].sort(([a], [b]) => a.localeCompare(b))) {
    const answer = await registryAnswers(registry, timeoutMs);
    const name = `registry ${registry}`;
    checks.push(
      answer.ok
        ? doctorCheck("images", name, "ok", `answers (${answer.why}); to pull: ${images.join(", ")}`)
        : doctorCheck(
            "images",
            name,
            "fail",
            `does not answer (${answer.why}); missing: ${images.join(", ")}`,
            {
              reason: "`stack up` cannot pull what the engine does not have",
              hint: `check the network or proxy (or the engine's registry mirrors), or ${OFFLINE_HINT}`,
            },
          ),
    );
  }
  return checks;
}

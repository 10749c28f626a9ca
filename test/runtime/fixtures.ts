/** Shared fixtures for runtime unit tests: a Compose project built from YAML text in a temp dir. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ActualContainer } from "../../src/runtime/actual.js";
import { type ComposeProject, loadComposeProject } from "../../src/runtime/compose/project.js";

export async function projectFrom(
  yaml: string,
  extra: Record<string, string> = {},
  opts: { profiles?: string[] } = {},
): Promise<{ project: ComposeProject; dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "gs-runtime-"));
  await writeFile(path.join(dir, "compose.yaml"), yaml);
  for (const [name, text] of Object.entries(extra)) {
    const file = path.join(dir, name);
    const { mkdir } = await import("node:fs/promises");
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  const project = await loadComposeProject({ dir, projectName: "demo", processEnv: {}, ...opts });
  return { project, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function container(
  over: Partial<ActualContainer> & { service: string; number: number },
): ActualContainer {
  return {
    id: `${over.service}-${over.number}-id`,
    name: `demo-${over.service}-${over.number}`,
    configHash: "h",
    mountsHash: "",
    imageId: "sha256:img",
    state: "running",
    status: "Up 1 minute",
    ports: [],
    oneoff: false,
    labels: {},
    ...over,
  };
}

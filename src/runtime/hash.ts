/**
 * Change detection for `stack up`: the config hash of a service (what Compose stores in
 * com.docker.compose.config-hash) and the hash of the generated config files it bind-mounts.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { ComposeProject, ServiceConfig } from "./compose/project.js";

/** JSON with object keys sorted, so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return v;
  });
}

/**
 * sha256 of the service's resolved config. Like Compose, the build section, pull policy and the
 * replica count are left out: rebuilding or scaling alone does not recreate running containers.
 * Networks are hashed by their engine names so a renamed network counts as a change.
 */
export function serviceConfigHash(project: ComposeProject, svc: ServiceConfig): string {
  const { build: _b, pullPolicy: _p, replicas: _r, ...rest } = svc;
  const networks = Object.fromEntries(
    Object.entries(svc.networks).map(([k, v]) => [project.networks[k]?.name ?? k, v]),
  );
  const volumes = svc.volumes.map((m) =>
    m.type === "volume" && m.source ? { ...m, source: project.volumes[m.source]?.name ?? m.source } : m,
  );
  return createHash("sha256")
    .update(canonicalJson({ ...rest, networks, volumes }))
    .digest("hex");
}

const MAX_FILES = 500;
const MAX_BYTES = 8 * 1024 * 1024;

/**
 * sha256 over the generated config files (under `<stack>/config/`) a service bind-mounts, or ""
 * when it mounts none. Caddy, Prometheus… read them at start, so a re-rendered file means the
 * container must be recreated even though compose.yaml did not change.
 */
export async function mountedConfigHash(project: ComposeProject, svc: ServiceConfig): Promise<string> {
  const configRoot = path.join(project.workingDir, "config") + path.sep;
  const sources = svc.volumes
    .filter((m) => m.type === "bind" && m.source && (m.source + path.sep).startsWith(configRoot))
    .map((m) => m.source as string)
    .sort();
  if (sources.length === 0) return "";
  const hash = createHash("sha256");
  const budget = { files: MAX_FILES, bytes: MAX_BYTES };
  for (const src of sources) await hashPath(src, hash, budget);
  return hash.digest("hex");
}

async function hashPath(
  p: string,
  hash: ReturnType<typeof createHash>,
  budget: { files: number; bytes: number },
): Promise<void> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(p);
  } catch {
    hash.update(`missing:${p}\n`);
    return;
  }
  if (st.isDirectory()) {
    const entries = (await readdir(p)).sort();
    for (const e of entries) await hashPath(path.join(p, e), hash, budget);
    return;
  }
  if (!st.isFile() || budget.files <= 0 || budget.bytes < st.size) {
    hash.update(`${p}:${st.size}:${st.mtimeMs}\n`);
    return;
  }
  budget.files--;
  budget.bytes -= st.size;
  hash.update(`${p}\n`);
  hash.update(await readFile(p));
}

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { GENERATED_NOTICE } from "./header.js";
import { isGeneratedPath } from "./paths.js";
import type { Artifact } from "./types.js";

/**
 * `.gatestack/generated.json`: every file the last `stack render` wrote, with the sha256 of
 * what it wrote. It tells generated files from user files (JSON files cannot carry a comment
 * header), lets a later render remove files no longer produced (an addon switched off) —
 * only files listed here — and detects files edited by hand since. Deterministic: commit it.
 */
export const MANIFEST_PATH = ".gatestack/generated.json";

export interface Manifest {
  /** relative path → sha256 hex of the content written */
  files: Record<string, string>;
}

export function sha256(content: string): string {
  return createHash("sha256").update(content).digest("hex");
}

/** The manifest of `artifacts`, plus `kept`: the records of files another render target wrote. */
export function manifestArtifact(artifacts: Artifact[], kept: Record<string, string> = {}): Artifact {
  const entries: Array<[string, string]> = [
    ...Object.entries(kept),
    ...artifacts.map((a): [string, string] => [a.path, sha256(a.content)]),
  ];
  const files = Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const doc = {
    comment: `${GENERATED_NOTICE}. Files written by \`stack render\` (sha256 of their content).`,
    files,
  };
  return { path: MANIFEST_PATH, content: `${JSON.stringify(doc, null, 2)}\n` };
}

/** The previous render's manifest; null when missing or unreadable (then nothing is removed). Unsafe paths are dropped. */
export async function readManifest(dir: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_PATH), "utf8");
  } catch {
    return null;
  }
  try {
    const doc = JSON.parse(text) as { files?: unknown };
    if (typeof doc.files !== "object" || doc.files === null) return null;
    const files: Record<string, string> = {};
    for (const [path, hash] of Object.entries(doc.files)) {
      if (typeof hash === "string" && isGeneratedPath(path)) files[path] = hash;
    }
    return { files };
  } catch {
    return null;
  }
}

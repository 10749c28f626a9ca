import type { StackConfig } from "../stack/schema.js";
import type { RenderTarget } from "./targets.js";

/**
 * What the renderer needs from a loaded stack: its folder and its validated config.
 * `LoadedStack` (src/stack/load.ts) satisfies this structurally; `.env` values are
 * deliberately not part of it — generated files reference secrets, never contain them.
 */
export interface RenderSource {
  /** Absolute path of the stack folder. */
  dir: string;
  config: StackConfig;
}

/** One generated file, relative to the stack folder. */
export interface Artifact {
  path: string;
  content: string;
  /** File mode (default 0o644). */
  mode?: number;
}

export type FileStatus = "created" | "updated" | "removed" | "unchanged";

export interface RenderedFile {
  path: string;
  status: FileStatus;
  /** The file on disk differs from what the previous render wrote: someone edited it by hand. */
  editedByHand: boolean;
}

export interface RenderOptions {
  /** Which files to generate (default compose); the other targets' files are left as they are. */
  target?: RenderTarget;
  /** Compare only: write nothing, report stale files with a unified diff. */
  check?: boolean;
  /** Write nothing, report what would change. */
  dryRun?: boolean;
  /** Overwrite files at generated paths that gatestack did not write (default: refuse). */
  force?: boolean;
  /** Throw E_RENDER_STALE instead of overwriting generated files that were edited by hand (used by `stack up`). */
  refuseHandEdits?: boolean;
}

export interface RenderReport {
  dir: string;
  /** Every generated path, plus previously generated ones that are removed; sorted by path. */
  files: RenderedFile[];
  /** Something was (or, under check/dry-run, would be) created, updated or removed. */
  changed: boolean;
  /** Nothing was written (check or dry-run). */
  dryRun: boolean;
  /** Unified diff of every change (empty when nothing changes). */
  diff: string;
}

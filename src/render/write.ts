import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { errorMessage, GatestackError } from "../errors.js";

/** One file operation of a render, decided beforehand. */
export type FileChange =
  | { kind: "write"; path: string; content: string; mode: number; previous: string | undefined }
  | { kind: "remove"; path: string; previous: string };

/** The filesystem calls a render makes (injectable so tests can fail one on purpose). */
export interface RenderFs {
  mkdir(path: string): Promise<void>;
  writeFile(path: string, content: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
}

export const nodeFs: RenderFs = {
  mkdir: async (path) => {
    await fsp.mkdir(path);
  },
  writeFile: (path, content, mode) => fsp.writeFile(path, content, { mode, flag: "wx" }),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  rmdir: (path) => fsp.rmdir(path),
};

/**
 * Apply a render's changes all-or-nothing:
 *  1. stage: create missing folders and write every new content to a temp file beside its
 *     target (same folder, so the rename is atomic);
 *  2. commit: rename temps over their targets, then remove files no longer generated;
 *  3. on any failure: put back the previous content of what was already committed, delete
 *     temps and the folders this render created, and throw E_RENDER_FAILED naming the file.
 * Afterwards folders emptied by removals are pruned (up to the stack folder).
 */
export async function applyChanges(dir: string, changes: FileChange[], fs: RenderFs = nodeFs): Promise<void> {
  const createdDirs: string[] = [];
  const temps = new Map<string, string>();
  const committed: FileChange[] = [];
  let current = "";
  try {
    for (const change of changes) {
      if (change.kind !== "write") continue;
      current = change.path;
      const target = join(dir, change.path);
      await ensureDir(dir, dirname(target), fs, createdDirs);
      const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
      await fs.writeFile(temp, change.content, change.mode);
      temps.set(change.path, temp);
    }
    for (const change of changes) {
      current = change.path;
      if (change.kind === "write") {
        await fs.rename(temps.get(change.path)!, join(dir, change.path));
        temps.delete(change.path);
      } else {
        await fs.unlink(join(dir, change.path));
      }
      committed.push(change);
    }
  } catch (err) {
    await rollback(dir, committed, temps, createdDirs, fs);
    throw new GatestackError("E_RENDER_FAILED", `cannot write ${current}: ${errorMessage(err)}`, {
      place: current,
      hint: "nothing was changed; fix the cause (a folder where a file belongs, permissions, disk space) and render again",
      cause: err,
    });
  }
  for (const change of changes) {
    if (change.kind === "remove") await pruneEmptyDirs(dir, dirname(join(dir, change.path)), fs);
  }
}

/** mkdir -p that records each folder it creates (outermost first). */
async function ensureDir(root: string, path: string, fs: RenderFs, created: string[]): Promise<void> {
  const missing: string[] = [];
  for (
    let p = path;
    p !== root && relative(root, p) !== "" && !relative(root, p).startsWith("..");
    p = dirname(p)
  ) {
    if (await isDirectory(p)) break;
    missing.unshift(p);
  }
  for (const p of missing) {
    await fs.mkdir(p);
    created.push(p);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await fsp.stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Best effort: every step is attempted even if an earlier one fails. */
async function rollback(
  dir: string,
  committed: FileChange[],
  temps: Map<string, string>,
  createdDirs: string[],
  fs: RenderFs,
): Promise<void> {
  const attempt = async (step: () => Promise<void>) => {
    try {
      await step();
    } catch {
      // keep undoing the rest
    }
  };
  for (const change of committed.reverse()) {
    const target = join(dir, change.path);
    if (change.previous === undefined) {
      await attempt(() => fs.unlink(target));
    } else {
      const previous = change.previous;
      const temp = `${join(dirname(target), `.${basename(target)}`)}.${randomBytes(6).toString("hex")}.restore`;
      await attempt(async () => {
        await fs.writeFile(temp, previous, change.kind === "write" ? change.mode : 0o644);
        await fs.rename(temp, target);
      });
    }
  }
  for (const temp of temps.values()) await attempt(() => fs.unlink(temp));
  for (const path of createdDirs.reverse()) await attempt(() => fs.rmdir(path));
}

async function pruneEmptyDirs(root: string, path: string, fs: RenderFs): Promise<void> {
  for (let p = path; relative(root, p) !== "" && !relative(root, p).startsWith(".."); p = dirname(p)) {
    try {
      if ((await fsp.readdir(p)).length > 0) return;
      await fs.rmdir(p);
    } catch {
      return;
    }
  }
}

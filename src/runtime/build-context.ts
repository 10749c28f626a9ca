/**
 * A Docker build context as a tar stream: the folder's files minus what .dockerignore excludes
 * (Docker's own pattern rules), with the Dockerfile and .dockerignore always sent, as the docker CLI
 * does. Archived by tar-stream (ustar, PAX records for long names); files are streamed, not buffered.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Ignore } from "@balena/dockerignore";
import tar from "tar-stream";

// CommonJS module whose typings declare an ES default export: load it the CommonJS way.
const dockerignore = createRequire(import.meta.url)("@balena/dockerignore") as (options?: {
  ignorecase?: boolean;
}) => Ignore;

export interface ContextEntry {
  /** Path inside the context, POSIX separators. */
  name: string;
  abs: string;
  kind: "file" | "dir" | "symlink";
  mode: number;
  size: number;
  mtime: number;
}

/** Files and folders of `dir` that go into the build context, sorted. */
export async function contextEntries(dir: string, dockerfile = "Dockerfile"): Promise<ContextEntry[]> {
  let patterns = "";
  try {
    patterns = await readFile(path.join(dir, ".dockerignore"), "utf8");
  } catch {
    // No .dockerignore: everything goes.
  }
  const ig = dockerignore({ ignorecase: false }).add(patterns);
  const hasExceptions = /^\s*!/m.test(patterns);
  const always = new Set([path.posix.normalize(dockerfile.split(path.sep).join("/")), ".dockerignore"]);
  const out: ContextEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(path.join(dir, rel))).sort();
    for (const n of names) {
      const name = rel ? `${rel}/${n}` : n;
      const abs = path.join(dir, name);
      const st = await lstat(abs);
      const ignored = ig.ignores(name) && !always.has(name);
      if (st.isDirectory()) {
        // An ignored folder is skipped unless an exception (!pattern) could bring something back.
        if (ignored && !hasExceptions) continue;
        if (!ignored)
          out.push({ name, abs, kind: "dir", mode: st.mode & 0o7777, size: 0, mtime: st.mtimeMs });
        await walk(name);
      } else if (!ignored && (st.isFile() || st.isSymbolicLink())) {
        out.push({
          name,
          abs,
          kind: st.isFile() ? "file" : "symlink",
          mode: st.mode & 0o7777,
          size: st.isFile() ? st.size : 0,
          mtime: st.mtimeMs,
        });
      }
    }
  };
  await walk("");
  return out;
}

/** Each entry into the archive in order, files streamed; a file that shrank while read fails the pack. */
async function fill(pack: tar.Pack, entries: ContextEntry[]): Promise<void> {
  for (const e of entries) {
    const base = { name: e.name, mode: e.mode, mtime: new Date(e.mtime), uid: 0, gid: 0 };
    if (e.kind === "dir") {
      pack.entry({ ...base, type: "directory" });
    } else if (e.kind === "symlink") {
      pack.entry({ ...base, type: "symlink", linkname: await readlink(e.abs) });
    } else if (e.size === 0) {
      pack.entry({ ...base, type: "file", size: 0 }, "");
    } else {
      // read up to the size announced in the header (a file that grew is cut there)
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ ...base, type: "file", size: e.size }, (err) =>
          err ? reject(err) : resolve(),
        );
        pipeline(createReadStream(e.abs, { start: 0, end: e.size - 1 }), sink).catch(reject);
      });
    }
  }
  pack.finalize();
}

/** The build context of `dir` as a tar stream, plus its entries (for size reporting). */
export async function packContext(
  dir: string,
  dockerfile = "Dockerfile",
): Promise<{ stream: Readable; entries: ContextEntry[] }> {
  const entries = await contextEntries(dir, dockerfile);
  const pack = tar.pack();
  fill(pack, entries).catch((err: unknown) =>
    pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  return { stream: pack, entries };
}

/**
 * A Docker build context as a tar stream: the folder's files minus what .dockerignore excludes
 * (Docker's own pattern rules), with the Dockerfile and .dockerignore always sent, as the docker CLI
 * does. Written as POSIX ustar with PAX records for long names; files are streamed, not buffered.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { Readable } from "node:stream";
import type { Ignore } from "@balena/dockerignore";

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

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function header(fields: {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  type: string;
  linkname?: string;
}): Buffer {
  const b = Buffer.alloc(512);
  b.write(fields.name, 0, 100, "utf8");
  b.write(octal(fields.mode, 8), 100, 8, "ascii");
  b.write(octal(0, 8), 108, 8, "ascii");
  b.write(octal(0, 8), 116, 8, "ascii");
  b.write(octal(fields.size, 12), 124, 12, "ascii");
  b.write(octal(Math.floor(fields.mtime / 1000), 12), 136, 12, "ascii");
  b.write("        ", 148, 8, "ascii");
  b.write(fields.type, 156, 1, "ascii");
  if (fields.linkname) b.write(fields.linkname, 157, 100, "utf8");
  b.write("ustar\0", 257, 6, "ascii");
  b.write("00", 263, 2, "ascii");
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return b;
}

/** A PAX extended header carrying a path (and link target) longer than ustar allows. */
function paxHeader(name: string, linkname?: string): Buffer[] {
  const record = (key: string, value: string) => {
    const body = ` ${key}=${value}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len)
      len = String(len).length + Buffer.byteLength(body);
    return `${len}${body}`;
  };
  const data = Buffer.from(record("path", name) + (linkname ? record("linkpath", linkname) : ""), "utf8");
  return [
    header({ name: "PaxHeader", mode: 0o644, size: data.length, mtime: 0, type: "x" }),
    data,
    padding(data.length),
  ];
}

function padding(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512);
}

async function* tarChunks(entries: ContextEntry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    const name = e.kind === "dir" ? `${e.name}/` : e.name;
    const linkname = e.kind === "symlink" ? await readlink(e.abs) : undefined;
    if (Buffer.byteLength(name) > 99 || (linkname && Buffer.byteLength(linkname) > 99))
      yield* paxHeader(name, linkname);
    const type = e.kind === "file" ? "0" : e.kind === "dir" ? "5" : "2";
    yield header({
      name: name.slice(0, 99),
      mode: e.mode,
      size: e.size,
      mtime: e.mtime,
      type,
      ...(linkname ? { linkname: linkname.slice(0, 99) } : {}),
    });
    if (e.kind !== "file") continue;
    let sent = 0;
    for await (const chunk of createReadStream(e.abs)) {
      const buf = chunk as Buffer;
      // A file that grew while being read is cut at its announced size.
      const part = sent + buf.length > e.size ? buf.subarray(0, e.size - sent) : buf;
      sent += part.length;
      yield part;
      if (sent >= e.size) break;
    }
    if (sent < e.size) yield Buffer.alloc(e.size - sent);
    yield padding(e.size);
  }
  yield Buffer.alloc(1024);
}

/** The build context of `dir` as a tar stream, plus its entries (for size reporting). */
export async function packContext(
  dir: string,
  dockerfile = "Dockerfile",
): Promise<{ stream: Readable; entries: ContextEntry[] }> {
  const entries = await contextEntries(dir, dockerfile);
  return { stream: Readable.from(tarChunks(entries), { objectMode: false }), entries };
}

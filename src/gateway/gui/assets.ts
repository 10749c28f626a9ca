/**
 * The manager's front-end files: `/` is index.html, `/assets/<file>` the bundle (dist/gui, built
 * by `npm run build`). A bare source checkout without the bundle answers 503 saying so.
 */
import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { extname, join } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".woff2": "font/woff2",
};

/** Send `file` (a name inside `dir`, already checked to be one plain file name) or a 404/503. */
export async function sendAsset(
  res: ServerResponse,
  dir: string | null,
  file: string,
  headers: Record<string, string>,
): Promise<void> {
  if (dir === null) {
    res.writeHead(503, {
      ...headers,
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
    });
    res.end("the manager's front-end is not built\n");
    return;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(file) || file.includes("..")) {
    res.writeHead(404, { ...headers, "content-type": "text/plain; charset=utf-8" });
    res.end("not found\n");
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(join(dir, file));
  } catch {
    res.writeHead(404, { ...headers, "content-type": "text/plain; charset=utf-8" });
    res.end("not found\n");
    return;
  }
  res.writeHead(200, {
    ...headers,
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "content-length": String(body.length),
    "cache-control": file === "index.html" ? "no-store" : "no-cache",
  });
  res.end(body);
}

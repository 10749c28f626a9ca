/**
 * Where the browser front-ends' built files live: `dist/<name>/` of this package (the manager's
 * bundle in dist/gui, the portal's in dist/portal), built by `npm run build` and shipped in the
 * package and the image — never built on the user's machine. Found from this module's own location
 * (src/gateway/… under vitest/tsx, dist/gateway/… once built), so it works from any working directory.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type WebFrontEnd = "gui" | "portal";

let cachedRoot: string | null | undefined;

/** The package root: the nearest folder above this module whose package.json is gatestack's. */
export function packageRoot(): string | null {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "gatestack") {
          cachedRoot = dir;
          return dir;
        }
      } catch {
        // not ours: keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      cachedRoot = null;
      return null;
    }
    dir = parent;
  }
}

/** `dist/<name>` of the package, or null when the front-end was not built (a bare source checkout). */
export function webAssetsDir(name: WebFrontEnd): string | null {
  const root = packageRoot();
  if (root === null) return null;
  const dir = join(root, "dist", name);
  return existsSync(join(dir, "index.html")) ? dir : null;
}

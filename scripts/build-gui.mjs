/**
 * Builds the gateway manager's front-end (gui/) into dist/gui/: index.html, app.js, app.css (and favicon.svg),
 * minified, without source maps, everything bundled (the page fetches nothing from elsewhere and
 * runs no inline script: the server's CSP is `default-src 'self'`). Run by `npm run build` and by
 * the Dockerfile's build stage; prints the bundle size.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "gui");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  absWorkingDir: root,
  entryPoints: { app: "gui/src/main.tsx" },
  outdir: out,
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "esm",
  target: ["chrome110", "firefox110", "safari16"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
});
for (const file of ["index.html", "favicon.svg"]) copyFileSync(join(root, "gui", file), join(out, file));

const sizes = ["index.html", "app.js", "app.css"].map((f) => {
  const file = join(out, f);
  const bytes = readFileSync(file);
  return `${f} ${(bytes.length / 1024).toFixed(1)} KiB (${(gzipSync(bytes).length / 1024).toFixed(1)} KiB gzip)`;
});
console.log(`dist/gui: ${sizes.join(", ")}`);

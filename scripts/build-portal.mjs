/**
 * Builds the developer portal's front-end into dist/portal/: its page (portal/index.html: the gateway
 * puts the services list in at its marker), portal.js and portal.css, and the few files of
 * swagger-ui-dist it runs on (the bundle, the standalone preset for the per-service selector, the
 * stylesheet, a favicon, the licence texts) — served by the gateway itself, nothing from a CDN, no
 * source maps. Run by `npm run build` and by the Dockerfile's build stage; prints the size.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "portal");
const swaggerUi = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

const SWAGGER_FILES = [
  "swagger-ui-bundle.js",
  "swagger-ui-standalone-preset.js",
  "swagger-ui.css",
  "favicon-32x32.png",
];
const LICENCES = { LICENSE: "swagger-ui.LICENSE.txt", NOTICE: "swagger-ui.NOTICE.txt" };

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });
copyFileSync(join(root, "portal", "index.html"), join(out, "index.html"));
for (const file of ["portal.js", "portal.css"])
  copyFileSync(join(root, "portal", file), join(out, "assets", file));
for (const file of SWAGGER_FILES) {
  const text = readFileSync(join(swaggerUi, file));
  // no source maps are shipped: drop the comments pointing at them
  const body = /\.(js|css)$/.test(file)
    ? Buffer.from(text.toString("utf8").replace(/\n?\/[/*]# sourceMappingURL=[^\n]*$/, ""))
    : text;
  writeFileSync(join(out, "assets", file), body);
}
for (const [from, to] of Object.entries(LICENCES))
  copyFileSync(join(swaggerUi, from), join(out, "assets", to));

const files = ["index.html", ...["portal.js", "portal.css", ...SWAGGER_FILES].map((f) => `assets/${f}`)];
let total = 0;
let gzipped = 0;
for (const f of files) {
  const bytes = readFileSync(join(out, f));
  total += bytes.length;
  gzipped += gzipSync(bytes).length;
}
const { version } = JSON.parse(readFileSync(join(swaggerUi, "package.json"), "utf8"));
console.log(
  `dist/portal: ${files.length} files, ${(total / 1024).toFixed(0)} KiB (${(gzipped / 1024).toFixed(0)} KiB gzip), swagger-ui-dist ${version}`,
);

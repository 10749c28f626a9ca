/**
 * Runs once before the unit/integration suite. Tests that need the CLI spawn bin/run.js,
 * which loads dist/: `npm test` builds first; this guards against a stale or missing build.
 */
import { existsSync } from "node:fs";

export default function setup(): void {
  if (!existsSync(new URL("../../dist/commands/schema.js", import.meta.url))) {
    throw new Error("dist/ is missing: run `npm run build` (npm test does it for you)");
  }
}

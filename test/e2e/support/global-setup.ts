/**
 * Before the Docker end-to-end suite: an engine must answer, dist/ must be built (the CLI runs from
 * it), and the offline stand-in images must exist (built once by images/build-offline.sh, cached).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";

export default async function setup(): Promise<void> {
  if (!existsSync(new URL("../../../dist/commands/up.js", import.meta.url))) {
    throw new Error("dist/ is missing: run `npm run build` first (npm run test:e2e does it)");
  }
  try {
    await new Docker().ping();
  } catch (err) {
    throw new Error(
      `the Docker end-to-end suite needs a Docker engine: start one (sudo systemctl start docker, or dockerd &): ${(err as Error).message}`,
    );
  }
  const script = fileURLToPath(new URL("../images/build-offline.sh", import.meta.url));
  execFileSync(script, [], { stdio: ["ignore", "inherit", "inherit"] });
}

/**
 * Before the Docker end-to-end suite: an engine must answer, dist/ must be built (the CLI runs from
 * it), the offline stand-in images must exist (images/build-offline.sh, cached by tag), and the gateway
 * image is (re)built from the current sources (images/build-gateway.sh: Docker's layer cache keeps an
 * unchanged tree quick), so the suite never runs a stale gateway.
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
  for (const script of ["build-offline.sh", "build-gateway.sh"]) {
    const file = fileURLToPath(new URL(`../images/${script}`, import.meta.url));
    execFileSync(file, [], { stdio: ["ignore", "ignore", "inherit"] });
  }
}

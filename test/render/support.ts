import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { parse } from "yaml";
import { planRender } from "../../src/render/index.js";
import type { Artifact } from "../../src/render/types.js";
import type { StackConfig } from "../../src/stack/schema.js";
import { type ManagedProcess, startProcess } from "../support/processes.js";

/** Plan a stack's artifacts as `stack render` would for a folder (the folder is not touched). */
export function artifactsOf(stack: StackConfig, dir = "/nonexistent/stack"): Artifact[] {
  return planRender({ dir, config: stack });
}

export function artifact(artifacts: Artifact[], path: string): Artifact {
  const found = artifacts.find((a) => a.path === path);
  if (!found) throw new Error(`no artifact ${path} (have: ${artifacts.map((a) => a.path).join(", ")})`);
  return found;
}

export function yamlOf<T = Record<string, unknown>>(artifacts: Artifact[], path: string): T {
  return parse(artifact(artifacts, path).content) as T;
}

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(
  prefix = "gatestack-render-",
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The .env values the generated files reference (as `stack init` would write them). */
export const TOOLS_USER = "ops";
export const TOOLS_PASSWORD = "s3cret-tools-password";
export const TOOLS_HASH_B64 = Buffer.from(bcrypt.hashSync(TOOLS_PASSWORD, 4)).toString("base64");

export function caddyEnv(): Record<string, string> {
  return { TOOLS_BASICAUTH_USER: TOOLS_USER, TOOLS_BASICAUTH_HASH: TOOLS_HASH_B64 };
}

/** Run `fn` over items with at most `limit` in flight (real tools are CPU-bound on 2 cores). */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * `caddy run` on a (localized) rendered Caddyfile, its data in `dir`, with the tools' basic-auth
 * variables; ready once the internal listener (`http://:<internalPort>`) answers.
 */
export function runCaddy(file: string, dir: string, internalPort: number): Promise<ManagedProcess> {
  return startProcess("caddy", ["run", "--adapter", "caddyfile", "--config", file], {
    env: { ...caddyEnv(), HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    readyUrl: `http://127.0.0.1:${internalPort}/healthz`,
  });
}

/** A compose service's healthcheck command (fails the test when the healthcheck is switched off). */
export function healthTest(service: { healthcheck: { test: string[] } | { disable: true } }): string[] {
  if (!("test" in service.healthcheck)) throw new Error("the service's healthcheck is disabled");
  return service.healthcheck.test;
}

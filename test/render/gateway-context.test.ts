import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { COMPOSE_PATH } from "../../src/render/compose.js";
import type { ComposeFile } from "../../src/render/compose-model.js";
import {
  GATEWAY_BUILD_CONTEXT,
  GATEWAY_CONTEXT_DIR,
  syncGatewayContext,
} from "../../src/render/gateway-context.js";
import { renderStack } from "../../src/render/index.js";
import { PACKAGE_ROOT } from "../../src/stack/package-paths.js";
import { cleanupsAfterEach } from "../support/cleanups.js";
import { microservicesStack, monolithStack } from "./fixtures.js";
import { artifactsOf, tempDir, yamlOf } from "./support.js";

const cleanups = cleanupsAfterEach();

async function renderedFolder(stack = monolithStack()): Promise<string> {
  const work = await tempDir("gatestack-gateway-context-");
  cleanups.push(work.cleanup);
  await renderStack({ dir: work.dir, config: stack });
  return work.dir;
}

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe("the gateway's build context in the stack folder", () => {
  it("is what compose.yaml builds gatestack/gateway from, relative to the stack folder", () => {
    const gateway = yamlOf<ComposeFile>(artifactsOf(monolithStack()), COMPOSE_PATH).services.gateway!;
    expect(gateway.image).toBe("gatestack/gateway:0.1.0");
    expect(gateway.build).toEqual({ context: "./.gatestack/gateway" });
    expect(GATEWAY_BUILD_CONTEXT).toBe(`./${GATEWAY_CONTEXT_DIR}`);
  });

  it("is not used for the kong engine or a gateway image set in stack.yaml", () => {
    for (const stack of [
      microservicesStack({ gateway: { engine: "kong" } }),
      monolithStack({ images: { gateway: "registry.example/gatestack-gateway:0.1.0" } }),
    ]) {
      const gateway = yamlOf<ComposeFile>(artifactsOf(stack), COMPOSE_PATH).services.gateway!;
      expect(gateway.build).toBeUndefined();
    }
  });

  it("holds the package as npm ships it (package.json and its `files`: Dockerfile, bin/, dist/, templates/…) — no source maps, no sources", async () => {
    const dir = await renderedFolder();
    const context = join(dir, GATEWAY_CONTEXT_DIR);
    const files = await filesBelow(context);
    expect(files).toEqual(expect.arrayContaining([".gitignore", "Dockerfile", "package.json", "bin/run.js"]));
    expect(files).toContain("dist/commands/gateway/serve.js");
    expect(files).toContain("templates/jenkins/Jenkinsfile.hbs");
    expect(
      files.filter((f) => f.endsWith(".map") || f.startsWith("src/") || f.includes("node_modules")),
    ).toEqual([]);
    const { files: shipped } = JSON.parse(await readFile(join(PACKAGE_ROOT, "package.json"), "utf8")) as {
      files: string[];
    };
    const outsidePackage = files.filter(
      (f) =>
        ![".gitignore", "package.json"].includes(f) && !shipped.some((e) => f === e || f.startsWith(`${e}/`)),
    );
    expect(outsidePackage).toEqual([]);
    for (const file of ["Dockerfile", "package.json", "dist/commands/gateway/serve.js"]) {
      expect(await readFile(join(context, file), "utf8"), file).toBe(
        await readFile(join(PACKAGE_ROOT, file), "utf8"),
      );
    }
  });

  it("stays out of git by its own .gitignore (real git)", async () => {
    const dir = await renderedFolder();
    await execa("git", ["init", "-q"], { cwd: dir });
    const { stdout } = await execa("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: dir });
    const listed = stdout.split("\n").map((line) => line.slice(3));
    expect(listed).toContain("compose.yaml");
    expect(listed).toContain(".gatestack/generated.json");
    expect(listed.filter((path) => path.startsWith(`${GATEWAY_CONTEXT_DIR}/`))).toEqual([]);
  });

  it("is left alone when current, rewritten when it differs, removed when no longer built", async () => {
    const stack = monolithStack();
    const dir = await renderedFolder(stack);
    const context = join(dir, GATEWAY_CONTEXT_DIR);
    const before = (await stat(join(context, "Dockerfile"))).mtimeMs;
    expect(await syncGatewayContext(dir, stack)).toBe("unchanged");
    expect((await stat(join(context, "Dockerfile"))).mtimeMs).toBe(before);

    await writeFile(join(context, "Dockerfile"), "FROM scratch\n");
    await writeFile(join(context, "stray.txt"), "left over\n");
    expect(await syncGatewayContext(dir, stack)).toBe("updated");
    expect(await readFile(join(context, "Dockerfile"), "utf8")).toBe(
      await readFile(join(PACKAGE_ROOT, "Dockerfile"), "utf8"),
    );
    expect(await filesBelow(context)).not.toContain("stray.txt");
    expect((await readdir(join(dir, ".gatestack"))).sort()).toEqual([
      "gateway",
      "generated.json",
      "stack.schema.json",
    ]);

    await rm(context, { recursive: true });
    expect(await syncGatewayContext(dir, stack)).toBe("created");

    const kong = monolithStack({ gateway: { engine: "kong" } });
    await renderStack({ dir, config: kong });
    await expect(stat(context)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await syncGatewayContext(dir, kong)).toBe("absent");
  });

  it("names the package folder when the package lacks what the image needs", async () => {
    const dir = await renderedFolder();
    const emptyPackage = await tempDir("gatestack-no-package-");
    cleanups.push(emptyPackage.cleanup);
    await rm(join(dir, GATEWAY_CONTEXT_DIR), { recursive: true });
    await expect(syncGatewayContext(dir, monolithStack(), emptyPackage.dir)).rejects.toMatchObject({
      code: "E_RENDER_FAILED",
      place: GATEWAY_CONTEXT_DIR,
      message: expect.stringContaining(emptyPackage.dir),
    });
    await expect(stat(join(dir, GATEWAY_CONTEXT_DIR))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("is not written by a check or a dry run", async () => {
    const work = await tempDir("gatestack-gateway-context-");
    cleanups.push(work.cleanup);
    await renderStack({ dir: work.dir, config: monolithStack() }, { dryRun: true });
    await renderStack({ dir: work.dir, config: monolithStack() }, { check: true });
    await expect(stat(join(work.dir, GATEWAY_CONTEXT_DIR))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

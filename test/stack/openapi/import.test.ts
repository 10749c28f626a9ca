import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatestackError } from "../../../src/errors.js";
import { buildGatewayConfig } from "../../../src/render/gateway.js";
import { publicPrefix } from "../../../src/render/topology.js";
import { parseStackText } from "../../../src/stack/load.js";
import { importOpenApi } from "../../../src/stack/openapi/import.js";
import { startTestGateway } from "../../support/gateway.js";
import { freePort, type ManagedProcess, startProcess } from "../../support/processes.js";

/** A real FastAPI app (test/support/openapi_items_app.py) under uvicorn on 127.0.0.1. */
let app: ManagedProcess;
let appPort: number;
let openapiUrl: string;
let dir: string;

beforeAll(async () => {
  appPort = await freePort();
  const appDir = new URL("../../support/", import.meta.url).pathname;
  openapiUrl = `http://127.0.0.1:${appPort}/openapi.json`;
  app = await startProcess(
    "/usr/bin/python3",
    ["-m", "uvicorn", "openapi_items_app:app", "--host", "127.0.0.1", "--port", String(appPort)],
    { cwd: appDir, readyUrl: openapiUrl, env: { PYTHONDONTWRITEBYTECODE: "1" } },
  );
  dir = await mkdtemp(join(tmpdir(), "gatestack-import-"));
}, 30_000);

afterAll(async () => {
  await app?.stop();
  await rm(dir, { recursive: true, force: true });
});

const STACK = `# The shop: edit, then stack render.
name: shop
template: monolith
services:
  # the FastAPI app, mounted at /api
  - name: app
    port: ${"PORT"}
    routes:
      - name: api # everything under /api
        paths: [/api]
  - name: other
    routes:
      - name: other
        paths: [/other]
`;

async function stackDir(name: string): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  await writeFile(join(d, "stack.yaml"), STACK.replace("PORT", String(appPort)));
  return d;
}

const opts = { service: "app", prefix: publicPrefix };

describe("stack import openapi from a running FastAPI app", () => {
  it("adds one route per operation under the app's prefix, keeping comments; a second import changes nothing", async () => {
    const d = await stackDir("first");
    const result = await importOpenApi(d, openapiUrl, opts);
    expect(result.openapi).toMatch(/^3\.[01]\./);
    expect(result.prefix).toBe("/api");
    expect(result.created).toEqual([
      "app-health-health-get",
      "app-read-item-items-item-id-get",
      "app-update-item-items-item-id-put",
      "app-read-current-user",
    ]);
    expect(result.written).toBe(true);
    const text = await readFile(join(d, "stack.yaml"), "utf8");
    expect(text).toContain("# The shop: edit, then stack render.");
    expect(text).toContain("# the FastAPI app, mounted at /api");
    expect(text).toContain("- name: api # everything under /api");
    const config = parseStackText(text);
    const item = config.services[0]!.routes.find((r) => r.name === "app-read-item-items-item-id-get")!;
    expect(item).toMatchObject({
      paths: ["~/api/items/(?<item_id>[^#?/]+)$"],
      methods: ["GET"],
      strip_path: false,
      regex_priority: 100,
      tags: ["openapi", "items"],
    });
    expect(config.services[1]!.routes.map((r) => r.name)).toEqual(["other"]);

    const again = await importOpenApi(d, openapiUrl, opts);
    expect(again.written).toBe(false);
    expect(again.created).toEqual([]);
    expect(again.unchanged).toHaveLength(4);
    expect(await readFile(join(d, "stack.yaml"), "utf8")).toBe(text);
  });

  it("the rendered gateway config routes each operation to the app, which gets its own path", async () => {
    const d = await stackDir("through-gateway");
    await importOpenApi(d, openapiUrl, opts);
    const config = parseStackText(await readFile(join(d, "stack.yaml"), "utf8"));
    // Only the imported routes, so a request can only reach the app through them.
    config.services[0]!.routes = config.services[0]!.routes.filter((r) => r.tags.includes("openapi"));
    const kong = buildGatewayConfig(config, { path: "gateway.yaml", appHost: () => "127.0.0.1" });
    const gateway = await startTestGateway(kong);
    try {
      const get = await fetch(`${gateway.proxyUrl}/api/items/42`);
      expect(get.status).toBe(200);
      expect(await get.json()).toEqual({ item_id: 42 });
      const put = await fetch(`${gateway.proxyUrl}/api/items/7?name=pen`, { method: "PUT" });
      expect(await put.json()).toEqual({ item_id: 7, name: "pen" });
      expect((await fetch(`${gateway.proxyUrl}/api/users/me`)).status).toBe(200);
      // No operation: no route.
      expect((await fetch(`${gateway.proxyUrl}/api/items/42`, { method: "DELETE" })).status).toBe(404);
      expect((await fetch(`${gateway.proxyUrl}/api/items/42/x`)).status).toBe(404);
    } finally {
      await gateway.close();
    }
  });

  it("routes it made earlier are updated in place (user's keys kept); stale ones listed, removed with prune", async () => {
    const d = await stackDir("update");
    await importOpenApi(d, openapiUrl, opts);
    const file = join(d, "stack.yaml");
    let text = await readFile(file, "utf8");
    // The user adds a plugin and a comment to an imported route, an old import left a route behind,
    // and the operation's method changed since.
    text = text
      .replace(
        "      - name: app-read-current-user\n",
        "      - name: app-read-current-user # who am I\n        preserve_host: true\n",
      )
      .replace(/(name: app-read-current-user[\s\S]*?methods: )\[GET\]/, "$1[POST]")
      .replace(
        "  - name: other\n",
        "      - name: app-gone\n        paths: [~/api/gone$]\n        strip_path: false\n        tags: [openapi]\n  - name: other\n",
      );
    await writeFile(file, text);
    const result = await importOpenApi(d, openapiUrl, opts);
    expect(result.updated).toEqual(["app-read-current-user"]);
    expect(result.stale).toEqual(["app-gone"]);
    const after = await readFile(file, "utf8");
    expect(after).toContain("- name: app-read-current-user # who am I\n        preserve_host: true\n");
    const me = parseStackText(after).services[0]!.routes.find((r) => r.name === "app-read-current-user")!;
    expect(me.methods).toEqual(["GET"]);
    expect(me.preserve_host).toBe(true);

    const pruned = await importOpenApi(d, openapiUrl, { ...opts, prune: true });
    expect(pruned.removed).toEqual(["app-gone"]);
    expect(await readFile(file, "utf8")).not.toContain("app-gone");
  });

  it("--dry-run leaves stack.yaml byte-identical and returns the new text", async () => {
    const d = await stackDir("dry");
    const before = await readFile(join(d, "stack.yaml"));
    const result = await importOpenApi(d, openapiUrl, { ...opts, dryRun: true });
    expect(result.written).toBe(false);
    expect(result.created).toHaveLength(4);
    expect(result.after).toContain("app-read-current-user");
    expect((await readFile(join(d, "stack.yaml"))).equals(before)).toBe(true);
  });

  it("an unknown service, a bad document or an unreachable app: an error, stack.yaml untouched", async () => {
    const d = await stackDir("bad");
    const before = await readFile(join(d, "stack.yaml"));
    const unknown = (await importOpenApi(d, openapiUrl, { ...opts, service: "ap" }).catch(
      (e) => e,
    )) as GatestackError;
    expect(unknown.code).toBe("E_USAGE");
    expect(unknown.message).toBe(
      'no service "ap" in stack.yaml — did you mean "app"? (services: app, other)',
    );
    const bad = join(dir, "bad-openapi.json");
    await writeFile(bad, JSON.stringify({ openapi: "3.1.0", info: { title: "x" }, paths: {} }, null, 2));
    const invalid = (await importOpenApi(d, bad, opts).catch((e) => e)) as GatestackError;
    expect(invalid.code).toBe("E_OPENAPI_INVALID");
    expect(invalid.place).toMatch(/bad-openapi\.json:3:11$/);
    expect(invalid.message).toContain("#/info: must have required property 'version'");
    const down = (await importOpenApi(d, `http://127.0.0.1:${await freePort()}/openapi.json`, opts).catch(
      (e) => e,
    )) as GatestackError;
    expect(down.code).toBe("E_IO");
    expect(down.message).toContain("ECONNREFUSED");
    expect((await readFile(join(d, "stack.yaml"))).equals(before)).toBe(true);
  });
});

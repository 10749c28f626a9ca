import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatestackError } from "../../src/errors.js";
import type { Gateway } from "../../src/gateway/server.js";
import { buildGatewayConfig } from "../../src/render/gateway.js";
import { checkAgainstOpenApi } from "../../src/render/openapi-check.js";
import { formatIssue } from "../../src/stack/issues.js";
import { parseStackText } from "../../src/stack/load.js";
import { startTestGateway } from "../support/gateway.js";
import { freePort, type ManagedProcess, startProcess } from "../support/processes.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatestack-openapi-check-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stackDir(name: string, yaml: string): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  await writeFile(join(d, "stack.yaml"), yaml);
  return d;
}

const DOC = JSON.stringify({
  openapi: "3.1.0",
  info: { title: "Items", version: "1" },
  paths: {
    "/items/{item_id}": {
      get: { operationId: "read_item", responses: { "200": { description: "ok" } } },
      delete: { operationId: "delete_item", responses: { "204": { description: "gone" } } },
    },
    "/health": { get: { responses: { "200": { description: "ok" } } } },
  },
});

const STACK = `name: shop
template: monolith
services:
  - name: app
    routes:
      - name: api
        paths: [/api]
        methods: [HEAD]
      - name: read
        paths: ["~/api/items/(?<item_id>[^#?/]+)$"]
        methods: [GET]
        strip_path: false
      - name: health
        paths: [/api/health]
        methods: [GET]
        strip_path: false
      - name: legacy
        paths: [/api/legacy]
        strip_path: false
  - name: other
    routes:
      - name: other
        paths: [/other]
`;

describe("stack validate --openapi: routes against each app's OpenAPI document", () => {
  it("a file per service: operations without a route and routes without an operation, as placed warnings", async () => {
    const d = await stackDir("file", STACK);
    const docFile = join(dir, "items.json");
    await writeFile(docFile, DOC);
    // The operations are public under the prefix of the app's stripping route (/api).
    const result = await checkAgainstOpenApi(d, { all: false, sources: { app: docFile } });
    expect(result.checked.map((c) => c.service)).toEqual(["app"]);
    const lines = result.warnings.map(formatIssue);
    expect(lines).toEqual([
      expect.stringMatching(
        /^\S*stack\.yaml:6:7: services\[0\]\.routes: operation DELETE \/items\/\{item_id\} \(delete_item\) of \S+items\.json has no route: the gateway answers 404 for DELETE \/api\/items\/1 \(`stack import openapi` adds one\)$/,
      ),
      expect.stringMatching(
        /^\S*stack\.yaml:7:17: services\[0\]\.routes\[0\]\.paths\[0\]: route "api": no operation of \S+items\.json is served at \/api for HEAD$/,
      ),
      expect.stringMatching(
        /^\S*stack\.yaml:18:17: services\[0\]\.routes\[3\]\.paths\[0\]: route "legacy": no operation of \S+items\.json is served at \/api\/legacy$/,
      ),
    ]);
    expect(result.warnings.every((w) => w.severity === "warning")).toBe(true);
  });

  it("a stack whose routes match every operation: no warnings", async () => {
    const d = await stackDir(
      "clean",
      `name: shop
template: monolith
services:
  - name: app
    routes:
      - name: api
        paths: [/api]
`,
    );
    const docFile = join(dir, "items-clean.json");
    await writeFile(docFile, DOC);
    const result = await checkAgainstOpenApi(d, { all: true, sources: { app: docFile } });
    expect(result.warnings).toEqual([]);
  });

  it("an unknown service in --openapi-file is a usage error; an unreadable document names itself", async () => {
    const d = await stackDir("bad", STACK);
    const usage = (await checkAgainstOpenApi(d, { all: false, sources: { nope: "x.json" } }).catch(
      (e) => e,
    )) as GatestackError;
    expect(usage.code).toBe("E_USAGE");
    expect(usage.exitCode).toBe(2);
    const missing = (await checkAgainstOpenApi(d, {
      all: false,
      sources: { app: join(dir, "none.json") },
    }).catch((e) => e)) as GatestackError;
    expect(missing.code).toBe("E_IO");
    expect(missing.place).toMatch(/none\.json$/);
  });

  describe("the running app, as a client reaches it", () => {
    // Caddy's place in front of the gateway is taken by the site's port pointing straight at a
    // real gateway (the rendered gateway config), which routes to a real FastAPI app.
    let app: ManagedProcess;
    let gateway: Gateway;
    let stack: string;

    beforeAll(async () => {
      const appPort = await freePort();
      app = await startProcess(
        "/usr/bin/python3",
        ["-m", "uvicorn", "openapi_items_app:app", "--host", "127.0.0.1", "--port", String(appPort)],
        {
          cwd: new URL("../support/", import.meta.url).pathname,
          readyUrl: `http://127.0.0.1:${appPort}/openapi.json`,
          env: { PYTHONDONTWRITEBYTECODE: "1" },
        },
      );
      const yaml = (sitePort: number) => `name: shop
template: monolith
domain: 127.0.0.1
https: "off"
ports: {http: ${sitePort}}
services:
  - name: app
    port: ${appPort}
    routes:
      - name: api
        paths: [/api]
      - name: items
        paths: ["~/api/items/(?<item_id>[^#?/]+)$"]
        methods: [DELETE]
        strip_path: false
`;
      const kong = buildGatewayConfig(parseStackText(yaml(1)), {
        path: "gateway.yaml",
        appHost: () => "127.0.0.1",
      });
      gateway = await startTestGateway(kong);
      stack = await stackDir("running", yaml(Number(new URL(gateway.proxyUrl).port)));
    }, 30_000);

    afterAll(async () => {
      await gateway?.close();
      await app?.stop();
    });

    it("fetches <site><prefix>/openapi.json through the gateway and checks the routes against it", async () => {
      const result = await checkAgainstOpenApi(stack, { all: true, sources: {} });
      expect(result.checked).toEqual([
        { service: "app", source: `http://127.0.0.1:${new URL(gateway.proxyUrl).port}/api/openapi.json` },
      ]);
      expect(result.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
        expect.stringMatching(
          /^services\[0\]\.routes\[1\]\.paths\[0\]: route "items": no operation of .* for DELETE$/,
        ),
      ]);
    });
  });
});

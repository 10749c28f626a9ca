/**
 * A third-party plugin dropped into a folder of its own (outside the source tree) runs
 * in the gateway's pipeline without any core change: loaded through `pluginDirs`
 * (GATEWAY_PLUGIN_DIRS), validated by its own zod schema, run at its priority between
 * the bundled plugins, and seen by `stack gateway validate`.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { kongDoc, send } from "./_support.js";

const run = promisify(execFile);
const BIN = new URL("../../../bin/run.js", import.meta.url).pathname;

/** The plugin's source: plain ESM, importing zod by absolute URL since it lives outside the repo. */
function pluginSource(zodUrl: string): string {
  return `import { z } from ${JSON.stringify(zodUrl)};

export default {
  name: "header-stamp",
  priority: 1000,
  version: "1.0.0",
  configSchema: z.strictObject({
    value: z.string().default("stamped").describe("Value of the X-Stamp header sent upstream."),
  }),
  create(entry) {
    return {
      access(ctx) {
        ctx.upstream.headers["x-stamp"] = entry.config.value;
        ctx.upstream.headers["x-stamp-saw-consumer"] = ctx.consumer ? ctx.consumer.username : "none";
      },
      responseHeaders(ctx, res) {
        res.headers["x-stamp-phase"] = res.source;
      },
    };
  },
};
`;
}

/** A second plugin standing in for an auth plugin that yields groups (LDAP/OIDC style), not a consumer. */
function groupSourceSource(zodUrl: string): string {
  return `import { z } from ${JSON.stringify(zodUrl)};

export default {
  name: "group-source",
  priority: 1000,
  version: "1.0.0",
  configSchema: z.strictObject({}),
  create() {
    return {
      access(ctx) {
        const groups = ctx.request.headers["x-test-groups"];
        if (typeof groups === "string") ctx.authenticatedGroups = groups.split(",");
      },
    };
  },
};
`;
}

const ZOD_URL = new URL("../../../node_modules/zod/index.js", import.meta.url).href;

let dir: string;
let upstream: EchoUpstream;
let gw: Gateway;
let doc: Record<string, unknown>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatestack-plugins-"));
  await mkdir(join(dir, "group-source"));
  await writeFile(join(dir, "group-source", "index.mjs"), groupSourceSource(ZOD_URL));
  await mkdir(join(dir, "header-stamp"));
  await writeFile(join(dir, "header-stamp", "index.mjs"), pluginSource(ZOD_URL));
  upstream = await startEchoUpstream();
  doc = kongDoc(
    upstream.url,
    [
      {
        name: "stamped",
        paths: ["/stamped"],
        plugins: [{ name: "key-auth" }, { name: "header-stamp", config: { value: "v1" } }],
      },
      { name: "default", paths: ["/default"], plugins: [{ name: "header-stamp" }] },
      {
        name: "groups",
        paths: ["/groups"],
        plugins: [{ name: "group-source" }, { name: "acl", config: { allow: ["team-a"] } }],
      },
    ],
    { consumers: [{ username: "bob", keyauth_credentials: [{ key: "bob-key" }] }] },
  );
  gw = await startTestGateway(doc, { pluginDirs: [dir] });
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("third-party plugin drop-in", () => {
  it("runs with its config, after key-auth (priority 1000 < 1250)", async () => {
    const r = await send(gw.proxyUrl, "/stamped", { headers: { apikey: "bob-key" } });
    expect(r.status).toBe(200);
    expect(r.upstream().headers["x-stamp"]).toBe("v1");
    expect(r.upstream().headers["x-stamp-saw-consumer"]).toBe("bob");
    expect(r.headers["x-stamp-phase"]).toBe("upstream");
  });

  it("gets its schema defaults and runs its response phase on exits too", async () => {
    expect((await send(gw.proxyUrl, "/default")).upstream().headers["x-stamp"]).toBe("stamped");
    const denied = await send(gw.proxyUrl, "/stamped");
    expect(denied.status).toBe(401);
    expect(denied.headers["x-stamp-phase"]).toBe("exit");
  });

  it("can feed authenticated groups to acl (X-Authenticated-Groups upstream)", async () => {
    const ok = await send(gw.proxyUrl, "/groups", { headers: { "x-test-groups": "team-b,team-a" } });
    expect(ok.status).toBe(200);
    expect(ok.upstream().headers["x-authenticated-groups"]).toBe("team-b, team-a");
    expect(ok.upstream().headers["x-consumer-groups"]).toBeUndefined();
    const other = await send(gw.proxyUrl, "/groups", { headers: { "x-test-groups": "team-b" } });
    expect(other.status).toBe(403);
    expect(other.json().message).toBe("You cannot consume this service");
    expect((await send(gw.proxyUrl, "/groups")).status).toBe(401);
  });

  it("validates its config with its own schema", async () => {
    const bad = kongDoc(upstream.url, [
      { paths: ["/x"], plugins: [{ name: "header-stamp", config: { nope: 1 } }] },
    ]);
    await expect(gw.apply(bad)).rejects.toThrow(/nope/);
  });

  it("is unknown to a gateway without the folder", async () => {
    const plain = startTestGateway(doc);
    await expect(plain).rejects.toThrow(/header-stamp/);
  });

  it("is found by `stack gateway validate` through GATEWAY_PLUGIN_DIRS", async () => {
    const file = join(dir, "kong.json");
    await writeFile(file, JSON.stringify(doc));
    const ok = await run(process.execPath, [BIN, "gateway", "validate", file], {
      env: { ...process.env, GATEWAY_PLUGIN_DIRS: dir },
    });
    expect(ok.stdout + ok.stderr).not.toMatch(/header-stamp/i);
    const without = run(process.execPath, [BIN, "gateway", "validate", file], {
      env: { ...process.env, GATEWAY_PLUGIN_DIRS: "" },
    });
    await expect(without).rejects.toMatchObject({ stdout: expect.any(String) });
  });
});

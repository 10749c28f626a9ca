/**
 * stack.yaml `portal: true` (issue 15 §2): the gateway containers listen for the developer portal
 * and Caddy serves it at /portal (prefix stripped, no basic auth) — checked by `caddy validate`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CADDYFILE_PATH, renderCaddyfile } from "../../src/render/caddyfile.js";
import { gatewayService } from "../../src/render/compose-gateway.js";
import { crossFieldChecks } from "../../src/stack/checks.js";
import { ALL_ADDONS, microservicesStack, monolithStack } from "./fixtures.js";
import { baseObjects, containerOf, find, kubernetesArtifacts } from "./kubernetes-support.js";
import { artifact, artifactsOf, caddyEnv, tempDir } from "./support.js";

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("gatestack-portal-caddy-");
});
afterAll(() => work.cleanup());

async function caddyValidate(name: string, text: string): Promise<string> {
  const file = join(work.dir, `${name}.Caddyfile`);
  await writeFile(file, text);
  const home = join(work.dir, name);
  await mkdir(home);
  const r = await execa("caddy", ["validate", "--adapter", "caddyfile", "--config", file], {
    reject: false,
    env: { ...caddyEnv(), HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
  });
  const output = `${r.stdout}\n${r.stderr}`;
  expect(r.exitCode, output).toBe(0);
  expect(output).not.toContain("not formatted");
  return output;
}

/** The Caddyfile's /portal block (up to the next blank line at its level). */
function portalBlock(text: string): string {
  const start = text.indexOf("\thandle_path /portal/* {");
  expect(start).toBeGreaterThan(0);
  return text.slice(start, text.indexOf("\n\t}\n", start) + 3);
}

describe("portal: true", () => {
  it("makes every gateway container listen for the portal (Kong's portal_gui_listen)", () => {
    expect(gatewayService(monolithStack({ portal: true })).environment).toMatchObject({
      KONG_PORTAL_GUI_LISTEN: "0.0.0.0:8003",
    });
    expect(gatewayService(monolithStack()).environment).not.toHaveProperty("KONG_PORTAL_GUI_LISTEN");
  });

  it("Caddy serves it at /portal: redirect to /portal/, prefix stripped, every replica, no basic auth", async () => {
    const stack = microservicesStack({ portal: true, gateway: { replicas: 3 } }, ALL_ADDONS);
    const text = artifact(artifactsOf(stack), CADDYFILE_PATH).content;
    expect(text).toContain("\tredir /portal /portal/ 308\n");
    const block = portalBlock(text);
    expect(block).toContain("to market-gateway-1:8003 market-gateway-2:8003 market-gateway-3:8003");
    expect(block).not.toContain("basicauth");
    expect(block).toContain("encode zstd gzip");
    // the tools keep their basic auth
    expect(text).toContain("{$TOOLS_BASICAUTH_USER} {$TOOLS_BASICAUTH_HASH}");
    expect(await caddyValidate("compose-portal", text)).toContain("Valid configuration");
  });

  it("Swarm and Kubernetes: every gateway task from DNS, on the portal's port", async () => {
    const stack = monolithStack({ portal: true });
    const text = renderCaddyfile(stack, {
      path: CADDYFILE_PATH,
      gateway: { dynamic: { name: "tasks.gateway", port: 8000 } },
      basicauth: { importFile: "/run/secrets/tools_basicauth" },
    }).content;
    expect(portalBlock(text)).toContain("dynamic a tasks.gateway 8003 {");
    expect(await caddyValidate("swarm-portal", text)).toContain("Valid configuration");
  });

  it("Kubernetes: the gateway pods name the portal's port and listen on it", () => {
    const gateway = (portal: boolean) =>
      containerOf(find(baseObjects(kubernetesArtifacts(monolithStack({ portal }))), "Deployment", "gateway"));
    expect(gateway(true).ports).toContainEqual({ name: "portal", containerPort: 8003, protocol: "TCP" });
    expect(gateway(true).env).toContainEqual({ name: "KONG_PORTAL_GUI_LISTEN", value: "0.0.0.0:8003" });
    expect(gateway(false).ports?.map((p) => p.name)).not.toContain("portal");
  });

  it("no portal, no /portal route", () => {
    const text = artifact(artifactsOf(monolithStack()), CADDYFILE_PATH).content;
    expect(text).not.toContain("/portal");
  });

  it("is the gatestack gateway's: with gateway.engine kong it is an error naming the key", () => {
    const issues = crossFieldChecks(monolithStack({ portal: true, gateway: { engine: "kong" } }));
    expect(issues).toContainEqual(
      expect.objectContaining({
        path: ["portal"],
        message: expect.stringContaining("gateway.engine gatestack"),
      }),
    );
    expect(crossFieldChecks(monolithStack({ portal: true })).filter((i) => i.path[0] === "portal")).toEqual(
      [],
    );
  });
});

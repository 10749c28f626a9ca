/**
 * addons.manager (issue 15 §1): the gateway containers' GUI listener on 0.0.0.0:8002 with the admin
 * token they already have, Caddy publishing it at /gateway behind the tools' basic auth (prefix
 * stripped, each browser kept on one replica), checked by the real `caddy validate`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CADDYFILE_PATH, renderCaddyfile } from "../../src/render/caddyfile.js";
import { crossFieldChecks } from "../../src/stack/checks.js";
import { microservicesStack, monolithStack } from "./fixtures.js";
import { artifact, artifactsOf, caddyEnv, tempDir, yamlOf } from "./support.js";

/** Compose's `${NAME}` interpolation of a .env variable. */
const interpolation = (name: string) => ["$", "{", name, "}"].join("");

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("gatestack-manager-");
});
afterAll(() => work.cleanup());

const withManager = (overrides: Parameters<typeof microservicesStack>[0] = {}) =>
  microservicesStack(overrides, { manager: true });

async function caddyValidate(
  name: string,
  text: string,
): Promise<{ exitCode: number | undefined; output: string }> {
  const file = join(work.dir, `${name}.Caddyfile`);
  await writeFile(file, text);
  const home = join(work.dir, name);
  await mkdir(home);
  const r = await execa("caddy", ["validate", "--adapter", "caddyfile", "--config", file], {
    reject: false,
    env: { ...caddyEnv(), HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
  });
  return { exitCode: r.exitCode, output: `${r.stdout}\n${r.stderr}` };
}

describe("addons.manager", () => {
  it("is off by default: the gateway's GUI listener is off, Caddy has no /gateway", () => {
    const stack = monolithStack();
    expect(stack.addons.manager).toEqual({ enabled: false });
    const compose = yamlOf<{ services: { gateway: { environment: Record<string, string> } } }>(
      artifactsOf(stack),
      "compose.yaml",
    );
    expect(compose.services.gateway.environment.KONG_ADMIN_GUI_LISTEN).toBe("off");
    expect(artifact(artifactsOf(stack), CADDYFILE_PATH).content).not.toContain("/gateway");
  });

  it("listens on 0.0.0.0:8002 in the gateway containers, which keep their admin token", () => {
    const compose = yamlOf<{ services: Record<string, { environment?: Record<string, string> }> }>(
      artifactsOf(withManager()),
      "compose.yaml",
    );
    const env = compose.services.gateway!.environment!;
    expect(env.KONG_ADMIN_GUI_LISTEN).toBe("0.0.0.0:8002");
    expect(env.GATEWAY_ADMIN_TOKEN).toBe(interpolation("GATEWAY_ADMIN_TOKEN"));
    // Caddy gets the tools' basic-auth credentials
    expect(compose.services.caddy!.environment).toMatchObject({
      TOOLS_BASICAUTH_HASH: interpolation("TOOLS_BASICAUTH_HASH"),
    });
  });

  it("is published at /gateway behind basic auth, prefix stripped, sticky per browser, every replica", async () => {
    const stack = withManager({ gateway: { replicas: 2 } });
    const text = artifact(artifactsOf(stack), CADDYFILE_PATH).content;
    expect(text).toContain("redir /gateway /gateway/ 308");
    const block = text.slice(
      text.indexOf("handle_path /gateway/* {"),
      text.indexOf("\n\t}\n", text.indexOf("handle_path /gateway/*")),
    );
    expect(block).toContain("{$TOOLS_BASICAUTH_USER} {$TOOLS_BASICAUTH_HASH}");
    expect(block).toMatch(/reverse_proxy market-gateway-1:8002 market-gateway-2:8002 \{/);
    expect(block).toContain("lb_policy cookie gatestack_gateway_lb");
    expect(block).toContain("header_up -Authorization");
    const r = await caddyValidate("compose", text);
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).not.toContain("not formatted");
  });

  it("reaches Swarm tasks through DNS (dynamic upstreams) in a valid Caddyfile", async () => {
    const stack = withManager();
    const { content } = renderCaddyfile(stack, {
      path: "x",
      gateway: { dynamic: { name: "tasks.gateway", port: 8000 } },
      basicauth: { env: true },
    });
    expect(content).toMatch(/reverse_proxy \{\n\t\t\tdynamic a tasks\.gateway 8002 \{/);
    const r = await caddyValidate("dynamic", content);
    expect(r.exitCode, r.output).toBe(0);
  });

  it("needs the gatestack gateway", () => {
    const kong = withManager({ gateway: { engine: "kong" } });
    expect(crossFieldChecks(kong).map((i) => i.path.join("."))).toContain("addons.manager");
    expect(crossFieldChecks(withManager()).map((i) => i.path.join("."))).not.toContain("addons.manager");
  });
});

/**
 * addons.manager (issue 15 §1): the gateway containers' GUI listener on 0.0.0.0:8002 with the admin
 * token they already have, Caddy publishing it at /gateway behind the tools' basic auth (prefix
 * stripped, each browser kept on one replica), checked by the real `caddy validate`.
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CADDYFILE_PATH, renderCaddyfile } from "../../src/render/caddyfile.js";
import { planRender } from "../../src/render/index.js";
import { kubernetesSecretKeys, writeKubernetesSecrets } from "../../src/render/kubernetes-secrets.js";
import { KUBERNETES_DIR } from "../../src/render/targets.js";
import { crossFieldChecks } from "../../src/stack/checks.js";
import { microservicesStack, monolithStack } from "./fixtures.js";
import { baseObjects, containerOf, find, kubernetesArtifacts, objectsOf } from "./kubernetes-support.js";
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
    // the session cookie's Path: the gateway believes it from Caddy (a trusted peer)
    expect(block).toContain("header_up X-Forwarded-Prefix /gateway");
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

  it("Swarm: the gateway tasks listen on 0.0.0.0:8002 and Caddy reaches every one at /gateway", () => {
    const arts = planRender({ dir: "/nonexistent/stack", config: withManager() }, "swarm");
    const stackYml = yamlOf<{ services: Record<string, { environment?: Record<string, string> }> }>(
      arts,
      "deploy/swarm/stack.yml",
    );
    expect(stackYml.services.gateway!.environment!.KONG_ADMIN_GUI_LISTEN).toBe("0.0.0.0:8002");
    const caddyfile = artifact(arts, "deploy/swarm/Caddyfile").content;
    expect(caddyfile).toContain("handle_path /gateway/* {");
    expect(caddyfile).toContain("dynamic a tasks.gateway 8002 {");
  });

  it("Kubernetes: the gateway pods listen on 0.0.0.0:8002, name the port, and Caddy's config reaches them; kustomize builds it", async () => {
    const gatewayOf = (objects: ReturnType<typeof baseObjects>) =>
      containerOf(find(objects, "Deployment", "gateway"));
    const off = gatewayOf(baseObjects(kubernetesArtifacts(microservicesStack())));
    expect(off.ports?.map((p) => p.name)).not.toContain("manager");
    expect(off.env).toContainEqual({ name: "KONG_ADMIN_GUI_LISTEN", value: "off" });

    const stack = withManager({ gateway: { replicas: 2 } });
    const arts = kubernetesArtifacts(stack);
    const on = gatewayOf(baseObjects(arts));
    expect(on.ports).toContainEqual({ name: "manager", containerPort: 8002, protocol: "TCP" });
    expect(on.env).toContainEqual({ name: "KONG_ADMIN_GUI_LISTEN", value: "0.0.0.0:8002" });
    const caddyfile = artifact(arts, `${KUBERNETES_DIR}/config/caddy/Caddyfile`).content;
    expect(caddyfile).toContain("dynamic a gateway 8002 {");
    expect(caddyfile).toContain("header_up X-Forwarded-Prefix /gateway");

    const dir = join(work.dir, "kubernetes");
    for (const a of arts) {
      await mkdir(dirname(join(dir, a.path)), { recursive: true });
      await writeFile(join(dir, a.path), a.content);
    }
    // the Secret's folder `stack render` writes from .env, here from placeholder values
    const env = Object.fromEntries(kubernetesSecretKeys(stack).map((k) => [k, `placeholder-${k}`]));
    await writeKubernetesSecrets(dir, stack, env);
    const built = objectsOf(
      execFileSync("kubectl", ["kustomize", join(dir, KUBERNETES_DIR)], { encoding: "utf8" }),
    );
    const builtGateway = containerOf(find(built as ReturnType<typeof baseObjects>, "Deployment", "gateway"));
    expect(builtGateway.ports).toContainEqual({ name: "manager", containerPort: 8002, protocol: "TCP" });
    const caddyConfig = built.find(
      (o) => o.kind === "ConfigMap" && JSON.stringify(o).includes("handle_path /gateway/*"),
    );
    expect(JSON.stringify(caddyConfig)).toContain("dynamic a gateway 8002");
  });

  it("needs the gatestack gateway", () => {
    const kong = withManager({ gateway: { engine: "kong" } });
    expect(crossFieldChecks(kong).map((i) => i.path.join("."))).toContain("addons.manager");
    expect(crossFieldChecks(withManager()).map((i) => i.path.join("."))).not.toContain("addons.manager");
  });
});

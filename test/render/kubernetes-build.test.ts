/**
 * deploy/kubernetes/ checked by what runs here. No Kubernetes API server can run on this machine,
 * so: the real `stack render --target kubernetes` on both starters (all addons, the ServiceMonitor
 * on) with the .env `stack init` wrote; `kubectl kustomize` builds the base; every object it
 * outputs validates against the OpenAPI schemas of Kubernetes 1.34 (kubernetes-models' validators;
 * the Prometheus Operator's for the ServiceMonitor); generated names are hash-suffixed and
 * referenced; the Secret holds exactly .env's values while no file of the stack folder but .env
 * and the kept-out-of-git Secret folder holds one; the config variants pass caddy validate,
 * promtool and the gateway's own loader; `render --check --target kubernetes` catches a hand edit.
 */
import { execFileSync } from "node:child_process";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { execa } from "execa";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDeclarativeConfig } from "../../src/gateway/config/load.js";
import { loadPluginRegistry } from "../../src/gateway/plugins/registry.js";
import { KUBERNETES_SECRETS_DIR, writeKubernetesSecrets } from "../../src/render/kubernetes-secrets.js";
import { MANIFEST_PATH } from "../../src/render/manifest.js";
import { KUBERNETES_DIR } from "../../src/render/targets.js";
import { initStack } from "../../src/stack/init.js";
import { loadStack } from "../../src/stack/load.js";
import type { TemplateName } from "../../src/stack/schema.js";
import { initOptions } from "../stack/fixtures.js";
import { monolithStack } from "./fixtures.js";
import { objectsOf } from "./kubernetes-support.js";
import { tempDir } from "./support.js";

const bin = new URL("../../bin/run.js", import.meta.url).pathname;
const stackCli = (dir: string, ...args: string[]) => execa(bin, [...args, "--dir", dir], { reject: false });

/** One validator per kind the base produces: an object of any other kind fails the test. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "v1/Service": Service,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

type BuiltObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
};

/**
 * `kubectl kustomize <folder>`'s objects. kustomize wraps a Secret's long base64 values at 70
 * columns; the API server's decoder (Go's encoding/base64) skips line breaks, the schema's
 * `format: byte` does not: the lines are joined, as the server reads them.
 */
function kustomize(folder: string): BuiltObject[] {
  // kubectl is on this kind of machine (.ci/run checks it): no test is skipped without it.
  const out = execFileSync("kubectl", ["kustomize", folder], { encoding: "utf8" });
  return (objectsOf(out) as BuiltObject[]).map((o) =>
    o.data === undefined || o.kind !== "Secret"
      ? o
      : { ...o, data: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, v.replace(/\n/g, "")])) },
  );
}

/** Every regular file below `dir`, relative to it. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("gatestack-kubernetes-");
});
afterAll(() => work.cleanup());

const starters: TemplateName[] = ["monolith", "microservices"];

describe("stack render --target kubernetes on the starters, built by kubectl kustomize", () => {
  for (const template of starters) {
    it(`${template} with every addon and a ServiceMonitor`, async () => {
      const dir = join(work.dir, template);
      await initStack(
        initOptions(dir, {
          template,
          httpPort: 8080,
          httpsPort: 8443,
          addons: ["prometheus", "grafana", "elk", "jenkins"],
        }),
      );
      const stackYaml = join(dir, "stack.yaml");
      await writeFile(
        stackYaml,
        `${await readFile(stackYaml, "utf8")}kubernetes:\n  service_monitor: true\n`,
      );
      const render = await stackCli(dir, "render", "--target", "kubernetes");
      expect(render.exitCode, render.stderr).toBe(0);
      expect(render.stdout).toContain(`secret       ${KUBERNETES_SECRETS_DIR}/ from .env: `);
      const loaded = await loadStack(dir);
      const read = (p: string) => readFile(join(dir, p), "utf8");

      const objects = kustomize(join(dir, KUBERNETES_DIR));
      for (const object of objects) {
        const Model = MODELS[`${object.apiVersion}/${object.kind}`];
        expect(Model, `${object.apiVersion} ${object.kind} has a validator`).toBeDefined();
        expect(
          () => new Model!(object as never).validate(),
          `${object.kind} ${object.metadata.name}`,
        ).not.toThrow();
      }
      const kinds = new Set(objects.map((o) => o.kind));
      expect([...kinds].sort()).toEqual(
        [
          "ConfigMap",
          "Deployment",
          "PersistentVolumeClaim",
          "PodDisruptionBudget",
          "Secret",
          "Service",
          "ServiceMonitor",
        ].filter((k) => k !== "PodDisruptionBudget" || template === "microservices"),
      );

      // Generated names carry their content's hash, and the pods refer to exactly those names.
      const generated = objects.filter((o) => o.kind === "ConfigMap" || o.kind === "Secret");
      for (const o of generated) expect(o.metadata.name, o.kind).toMatch(/-[a-z0-9]{10}$/);
      const pods = objects.filter((o) => o.kind === "Deployment").map((o) => new Deployment(o as never));
      const referenced = new Set(
        pods.flatMap((d) => [
          ...(d.spec?.template.spec?.volumes ?? []).flatMap((v) => (v.configMap ? [v.configMap.name] : [])),
          ...(d.spec?.template.spec?.containers ?? []).flatMap((c) =>
            (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
          ),
        ]),
      );
      expect([...referenced].sort()).toEqual(generated.map((o) => o.metadata.name).sort());

      // The Secret holds .env's values for the variables the containers read, byte for byte.
      const secret = objects.find((o) => o.kind === "Secret");
      expect(Object.keys(secret?.data ?? {}).length).toBeGreaterThanOrEqual(4);
      for (const [key, value] of Object.entries(secret?.data ?? {})) {
        expect(Buffer.from(value, "base64").toString("utf8"), key).toBe(loaded.env[key]);
      }

      // No secret value in any file but .env and the Secret's own folder (out of git).
      const secretValues = Object.entries(loaded.env).filter(([, v]) => v.length >= 12);
      expect(secretValues.length).toBeGreaterThanOrEqual(4);
      const everyFile = (await filesBelow(dir)).filter(
        (p) => p !== ".env" && !p.startsWith(`${KUBERNETES_SECRETS_DIR}/`),
      );
      expect(everyFile).toContain(MANIFEST_PATH);
      for (const path of everyFile) {
        const content = await read(path);
        for (const [name, value] of secretValues) expect(content, `${name} in ${path}`).not.toContain(value);
      }
      execFileSync("git", ["init", "-q", dir]);
      execFileSync("git", ["-C", dir, "add", "-A"]);
      const tracked = execFileSync("git", ["-C", dir, "ls-files"], { encoding: "utf8" }).split("\n");
      expect(tracked).toContain(`${KUBERNETES_DIR}/kustomization.yaml`);
      expect(tracked.filter((p) => p.startsWith(".gatestack/kubernetes-secrets") || p === ".env")).toEqual(
        [],
      );
      const secretsDir = join(dir, KUBERNETES_SECRETS_DIR);
      expect((await stat(secretsDir)).mode & 0o777).toBe(0o700);
      expect((await stat(join(secretsDir, "GATEWAY_ADMIN_TOKEN"))).mode & 0o777).toBe(0o600);

      // The config variants pass their consumers, with the values the containers get.
      const caddyfile = join(dir, KUBERNETES_DIR, "config/caddy/Caddyfile");
      const caddy = await execa("caddy", ["validate", "--adapter", "caddyfile", "--config", caddyfile], {
        reject: false,
        env: { ...loaded.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
      });
      expect(caddy.exitCode, caddy.stderr).toBe(0);
      const prometheus = join(dir, KUBERNETES_DIR, "config/prometheus/prometheus.yml");
      const prom = await execa("promtool", ["check", "config", prometheus], { reject: false });
      expect(prom.exitCode, prom.stderr).toBe(0);
      const registry = await loadPluginRegistry();
      const gateway = parseDeclarativeConfig(await read(`${KUBERNETES_DIR}/config/gateway/gateway.yaml`), {
        env: loaded.env,
        plugins: (n) => registry.get(n),
      });
      expect(gateway.ok, JSON.stringify(gateway.ok ? "" : gateway.error)).toBe(true);
    });
  }
});

describe("render --check --target kubernetes", () => {
  it("is clean after a render, catches a hand edit, and each target leaves the other's files alone", async () => {
    const dir = join(work.dir, "check");
    await initStack(initOptions(dir));
    expect((await stackCli(dir, "render")).exitCode).toBe(0);
    expect((await stackCli(dir, "render", "--target", "kubernetes")).exitCode).toBe(0);
    const clean = await stackCli(dir, "render", "--check", "--target", "kubernetes");
    expect(clean.exitCode, clean.stdout).toBe(0);
    expect(clean.stdout).toContain("up to date");

    const edited = join(dir, KUBERNETES_DIR, "gateway.yaml");
    await writeFile(edited, (await readFile(edited, "utf8")).replace("replicas: 1", "replicas: 5"));
    const stale = await stackCli(dir, "render", "--check", "--target", "kubernetes");
    expect(stale.exitCode).toBe(1);
    expect(stale.stdout).toContain(`--- a/${KUBERNETES_DIR}/gateway.yaml`);
    expect(stale.stderr).toContain(`generated file is stale: ${KUBERNETES_DIR}/gateway.yaml`);

    // The compose target neither checks nor removes the Kubernetes files.
    expect((await stackCli(dir, "render", "--check")).exitCode).toBe(0);
    expect((await stackCli(dir, "render")).exitCode).toBe(0);
    expect(await readFile(edited, "utf8")).toContain("replicas: 5");
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST_PATH), "utf8")) as {
      files: Record<string, string>;
    };
    expect(Object.keys(manifest.files)).toContain(`${KUBERNETES_DIR}/gateway.yaml`);
    expect(Object.keys(manifest.files)).toContain("compose.yaml");

    const again = await stackCli(dir, "render", "--target", "kubernetes");
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain(`${KUBERNETES_DIR}/gateway.yaml had been edited by hand`);
    expect(await readFile(edited, "utf8")).toContain("replicas: 1");
    expect((await stackCli(dir, "render", "--check", "--target", "kubernetes")).exitCode).toBe(0);
    expect(await readFile(join(dir, "compose.yaml"), "utf8")).toContain("gateway:");
  });
});

describe("the Secret's folder", () => {
  it("carries any .env value exactly (lines, quotes, #, $) into the Secret kustomize generates", async () => {
    const { dir, cleanup } = await tempDir("gatestack-kubernetes-secrets-");
    try {
      const stack = monolithStack();
      const env = {
        GATEWAY_ADMIN_TOKEN: "-----BEGIN KEY-----\nline two\n-----END KEY-----\n",
        DEMO_API_KEY: `'quoted' "both" # not a comment $(not expanded) \${NOT_A_REF}`,
      };
      expect(await writeKubernetesSecrets(dir, stack, env)).toEqual(["DEMO_API_KEY", "GATEWAY_ADMIN_TOKEN"]);
      const [secret] = kustomize(join(dir, KUBERNETES_SECRETS_DIR));
      expect(secret?.metadata.name).toMatch(/^shop-env-[a-z0-9]{10}$/);
      const decoded = Object.fromEntries(
        Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
      );
      expect(decoded).toEqual(env);
    } finally {
      await cleanup();
    }
  });

  it("refuses a stack whose .env lacks a variable the containers read, naming it", async () => {
    const { dir, cleanup } = await tempDir("gatestack-kubernetes-secrets-");
    try {
      const write = writeKubernetesSecrets(dir, monolithStack(), { GATEWAY_ADMIN_TOKEN: "t".repeat(32) });
      await expect(write).rejects.toMatchObject({
        code: "E_ENV_INVALID",
        message: expect.stringContaining("DEMO_API_KEY is not set in .env"),
        place: ".env",
      });
      await expect(stat(join(dir, KUBERNETES_SECRETS_DIR))).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      await cleanup();
    }
  });
});

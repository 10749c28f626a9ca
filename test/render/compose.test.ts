import { readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPOSE_PATH } from "../../src/render/compose.js";
import type { ComposeFile, ComposeService } from "../../src/render/compose-model.js";
import { renderStack } from "../../src/render/index.js";
import { ALL_ADDONS, microservicesStack, monolithStack, stackMatrix } from "./fixtures.js";
import { artifactsOf, healthTest, tempDir, yamlOf } from "./support.js";

const schemaPath = new URL("../conformance/compose-spec.schema.json", import.meta.url);
const { $schema: _ignored, ...composeSchema } = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<
  string,
  unknown
>;
const validateCompose = new Ajv({ strict: false, allErrors: true }).compile(composeSchema);

const composeOf = (stack: ReturnType<typeof monolithStack>) =>
  yamlOf<ComposeFile>(artifactsOf(stack), COMPOSE_PATH);
const PROFILE_OF: Record<string, string> = {
  prometheus: "monitoring",
  grafana: "monitoring",
  elasticsearch: "logging",
  logstash: "logging",
  kibana: "logging",
  jenkins: "ci",
};

describe("compose.yaml against the Compose Specification schema", () => {
  for (const { label, stack } of stackMatrix()) {
    it(`is valid: ${label}`, () => {
      const doc = composeOf(stack);
      const ok = validateCompose(doc);
      expect(validateCompose.errors ?? [], label).toEqual([]);
      expect(ok).toBe(true);
    });
  }
});

describe("compose.yaml semantics", () => {
  for (const { label, stack } of stackMatrix()) {
    it(`holds for ${label}`, () => {
      const doc = composeOf(stack);
      const services = Object.entries(doc.services) as Array<[string, ComposeService]>;
      expect(doc.name).toBe(stack.name);

      // Only caddy publishes ports; tools only on loopback when stack.yaml asks.
      for (const [name, svc] of services) {
        if (name === "caddy") continue;
        for (const port of svc.ports ?? [])
          expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
      }
      const bind = stack.ports.bind.includes(":") ? `[${stack.ports.bind}]` : stack.ports.bind;
      expect(doc.services.caddy!.ports).toContain(`${bind}:${stack.ports.http}:80`);
      expect(doc.services.caddy!.ports!.some((p) => p.endsWith(":443"))).toBe(stack.https !== "off");

      // Every service has a healthcheck; every dependency waits for health and exists in the
      // same or an always-on profile.
      for (const [name, svc] of services) {
        expect(healthTest(svc)[0], name).toBe("CMD");
        expect(healthTest(svc).length, name).toBeGreaterThan(1);
        for (const [dep, cond] of Object.entries(svc.depends_on ?? {})) {
          expect(cond.condition).toBe("service_healthy");
          const target = doc.services[dep];
          expect(target, `${name} depends on missing ${dep}`).toBeDefined();
          if (target!.profiles)
            expect(svc.profiles, `${name} (always on) depends on profiled ${dep}`).toEqual(target!.profiles);
        }
      }

      // Profiles: addons only, exactly when enabled.
      for (const [name, svc] of services)
        expect(svc.profiles, name).toEqual(PROFILE_OF[name] ? [PROFILE_OF[name]] : undefined);
      expect("prometheus" in doc.services).toBe(stack.addons.prometheus.enabled);
      expect("grafana" in doc.services).toBe(stack.addons.grafana.enabled);
      for (const s of ["elasticsearch", "logstash", "kibana"])
        expect(s in doc.services).toBe(stack.addons.elk.enabled);
      expect("jenkins" in doc.services).toBe(stack.addons.jenkins.enabled);

      // Networks: Caddy reaches only the edge, apps only the backend, the gateway both.
      expect(doc.services.caddy!.networks).toEqual(["edge"]);
      expect(doc.services.gateway!.networks).toEqual(["edge", "backend"]);
      for (const app of stack.services) expect(doc.services[app.name]!.networks).toEqual(["backend"]);
      for (const [name, svc] of services) {
        if (name in PROFILE_OF)
          expect(svc.networks, name).toEqual(name === "prometheus" ? ["edge", "backend"] : ["edge"]);
      }
      expect(Object.keys(doc.networks).sort()).toEqual(["backend", "edge"]);

      // Named volumes are declared; data lives in them.
      const named = services.flatMap(([, s]) =>
        (s.volumes ?? []).flatMap((v) =>
          typeof v === "string" && !v.startsWith(".") ? [v.split(":")[0]!] : [],
        ),
      );
      for (const v of named) expect(doc.volumes, v).toHaveProperty(v);
      expect(Object.keys(doc.volumes).sort()).toEqual([...new Set(named)].sort());

      // JVM heaps capped.
      if (stack.addons.elk.enabled) {
        expect(doc.services.elasticsearch!.environment!.ES_JAVA_OPTS).toBe("-Xms512m -Xmx512m");
        expect(doc.services.logstash!.environment!.LS_JAVA_OPTS).toBe("-Xms256m -Xmx256m");
      }
      if (stack.addons.jenkins.enabled)
        expect(doc.services.jenkins!.environment!.JAVA_OPTS).toContain("-Xmx512m");

      // Apps: built from their folder, tagged <project>-<service>:latest, mounted at their public prefix.
      for (const app of stack.services) {
        const svc = doc.services[app.name]!;
        expect(svc.image).toBe(`${stack.name}-${app.name}:latest`);
        expect(svc.build).toEqual({
          context: `./services/${app.name}`,
          args: { PYTHON_IMAGE: "python:3.12-slim" },
        });
        expect(svc.environment!.PORT).toBe(String(app.port));
        expect(svc.deploy).toEqual({ replicas: app.replicas });
        expect(healthTest(svc).join(" ")).toContain(`http://127.0.0.1:${app.port}${app.health_path}`);
      }
      expect(doc.services.gateway!.deploy).toEqual({ replicas: stack.gateway.replicas });
      // Several gateway replicas share their state in Redis: backend only, never published, waited for.
      const shared = stack.gateway.replicas > 1;
      expect(Object.keys(doc.services.gateway!.depends_on!)).toEqual([
        ...stack.services.map((s) => s.name),
        ...(shared ? ["redis"] : []),
      ]);
      expect("redis" in doc.services).toBe(shared);
      if (shared) {
        const redis = doc.services.redis!;
        expect(redis.image).toBe("redis:7");
        expect(redis.networks).toEqual(["backend"]);
        expect(redis.ports).toBeUndefined();
        expect(redis.environment).toEqual({ REDIS_PASSWORD: `\${REDIS_PASSWORD}` });
      }

      // Secrets reach containers only as ${VAR} interpolations.
      for (const [name, svc] of services) {
        for (const [key, value] of Object.entries(svc.environment ?? {})) {
          if (/PASSWORD|TOKEN|HASH|KEY|SECRET/.test(key) && !/^GIT_CONFIG_KEY/.test(key)) {
            expect(value, `${name}.${key}`).toMatch(/^\$\{[A-Z][A-Z0-9_]*\}$/);
          }
        }
      }
    });
  }

  it("gives the gatestack gateway Kong's env names, the admin token and admin on all interfaces", () => {
    const gw = composeOf(monolithStack()).services.gateway!;
    expect(gw.image).toBe("gatestack/gateway:0.1.0");
    expect(gw.environment).toMatchObject({
      KONG_DECLARATIVE_CONFIG: "/etc/gateway/gateway.yaml",
      KONG_PROXY_LISTEN: "0.0.0.0:8000",
      KONG_ADMIN_LISTEN: "0.0.0.0:8001",
      KONG_STATUS_LISTEN: "0.0.0.0:8100",
      KONG_TRUSTED_IPS: "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16",
      GATEWAY_ADMIN_TOKEN: `\${GATEWAY_ADMIN_TOKEN}`,
      DEMO_API_KEY: `\${DEMO_API_KEY}`,
    });
    expect(gw.volumes).toEqual(["./config/gateway:/etc/gateway:ro"]);
    expect(healthTest(gw).join(" ")).toContain("http://127.0.0.1:8100/status/ready");
  });

  it("swaps in the official kong image in DB-less mode with the same config, admin on loopback", () => {
    const gw = composeOf(microservicesStack({ gateway: { engine: "kong", replicas: 2 } })).services.gateway!;
    expect(gw.image).toBe("kong:3.9");
    expect(gw.environment).toMatchObject({
      KONG_DATABASE: "off",
      KONG_DECLARATIVE_CONFIG: "/etc/gateway/gateway.yaml",
      KONG_ADMIN_LISTEN: "127.0.0.1:8001",
      KONG_ADMIN_GUI_LISTEN: "off",
      MOBILE_API_KEY: `\${MOBILE_API_KEY}`,
      MOBILE_JWT_SECRET: `\${MOBILE_JWT_SECRET}`,
      MOBILE_PASSWORD: `\${MOBILE_PASSWORD}`,
    });
    expect(gw.environment).not.toHaveProperty("GATEWAY_ADMIN_TOKEN");
    expect(gw.volumes).toEqual(["./config/gateway:/etc/gateway:ro"]);
    expect(gw.deploy).toEqual({ replicas: 2 });
  });

  it("honours stack.yaml image overrides", () => {
    const doc = composeOf(
      monolithStack({ images: { caddy: "mirror/caddy:2", python: "local/python:3" } }, ALL_ADDONS),
    );
    expect(doc.services.caddy!.image).toBe("mirror/caddy:2");
    expect(doc.services.app!.build!.args!.PYTHON_IMAGE).toBe("local/python:3");
  });

  it("serves the tools under their public paths", () => {
    const doc = composeOf(monolithStack({ domain: "api.example.com" }, ALL_ADDONS));
    expect(doc.services.grafana!.environment).toMatchObject({
      GF_SERVER_ROOT_URL: "https://api.example.com/grafana/",
      GF_SERVER_SERVE_FROM_SUB_PATH: "true",
      GF_SECURITY_ADMIN_PASSWORD: `\${GRAFANA_ADMIN_PASSWORD}`,
    });
    expect(doc.services.prometheus!.command).toContain(
      "--web.external-url=https://api.example.com/prometheus/",
    );
    expect(doc.services.jenkins!.environment!.JENKINS_OPTS).toBe("--prefix=/jenkins");
  });
});

describe("compose.yaml bind mounts", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir();
  });
  afterAll(() => work.cleanup());

  it("point at files and folders the render itself produced (except the git history for Jenkins)", async () => {
    const stack = microservicesStack({}, ALL_ADDONS);
    await renderStack({ dir: work.dir, config: stack });
    const doc = composeOf(stack);
    const sources = Object.values(doc.services).flatMap((s) =>
      (s.volumes ?? []).flatMap((v) =>
        typeof v === "string" ? (v.startsWith("./") ? [v.split(":")[0]!] : []) : [v.source],
      ),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources.filter((s) => s !== "./.git")) {
      await expect(stat(join(work.dir, source)), source).resolves.toBeDefined();
    }
  });
});

/**
 * Docker Engine API version that introduced each healthcheck field (Engine API version history:
 * HealthConfig 1.24 / Docker 1.12, StartPeriod 1.29 / Docker 17.05, StartInterval 1.44 / Docker 25).
 * `docker compose` refuses a file using a field the engine's API is too old for.
 */
const HEALTHCHECK_FIELD_SINCE_API: Record<string, string> = {
  test: "1.24",
  interval: "1.24",
  timeout: "1.24",
  retries: "1.24",
  disable: "1.24",
  start_period: "1.29",
  start_interval: "1.44",
};
/** The engine the README suggests (`apt-get install docker.io` on Debian bookworm: 20.10.24). */
const README_ENGINE_API = "1.41";

const apiNumber = (version: string) => {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major * 1000 + minor;
};

describe("compose.yaml healthchecks on the engine the README suggests (API 1.41)", () => {
  for (const { label, stack } of stackMatrix()) {
    it(`use no field newer than API ${README_ENGINE_API}: ${label}`, () => {
      for (const [name, svc] of Object.entries(composeOf(stack).services)) {
        for (const field of Object.keys(svc.healthcheck)) {
          const since = HEALTHCHECK_FIELD_SINCE_API[field];
          expect(since, `${name}.healthcheck.${field}: not a known healthcheck field`).toBeDefined();
          expect(apiNumber(since!), `${name}.healthcheck.${field} needs API ${since}`).toBeLessThanOrEqual(
            apiNumber(README_ENGINE_API),
          );
        }
      }
    });
  }
});

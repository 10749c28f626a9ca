/**
 * deploy/kubernetes/ as planned: the objects' structure (headless Services, probes from
 * health_path and the gateway's status listener, disruption budgets from two replicas, spread,
 * resources, non-root security contexts, Prometheus annotations, the ServiceMonitor when asked),
 * the kustomization, the Kubernetes variants of the config files, and determinism. What kubectl
 * and the API schemas say of the same files: kubernetes-build.test.ts.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildCompose } from "../../src/render/compose.js";
import { containerEnv } from "../../src/render/kubernetes-env.js";
import type { KubernetesObject } from "../../src/render/kubernetes-model.js";
import { KUBERNETES_DIR } from "../../src/render/targets.js";
import { envInterpolation } from "../../src/render/topology.js";
import type { StackConfig } from "../../src/stack/schema.js";
import { ALL_ADDONS, microservicesStack, monolithStack } from "./fixtures.js";
import { baseObjects, containerOf, find, kubernetesArtifacts } from "./kubernetes-support.js";
import { artifact } from "./support.js";

const objectsOf = (stack: StackConfig) => baseObjects(kubernetesArtifacts(stack));
const deployments = (objects: KubernetesObject[]) => objects.filter((o) => o.kind === "Deployment");
const kustomizationOf = (stack: StackConfig) =>
  parse(artifact(kubernetesArtifacts(stack), `${KUBERNETES_DIR}/kustomization.yaml`).content) as {
    resources: string[];
    configMapGenerator: Array<{ name: string; files: string[] }>;
    images?: Array<{ name: string; newName: string }>;
  };

describe("kubernetes target: workloads", () => {
  const stack = microservicesStack({}, ALL_ADDONS);
  const objects = objectsOf(stack);

  it("gives each app a Deployment and a headless Service on its port, and the gateway a headless Service", () => {
    for (const app of stack.services) {
      const service = find(objects, "Service", app.name);
      expect(service.spec?.clusterIP).toBe("None");
      expect(service.spec?.ports).toEqual([
        { name: "http", port: app.port, targetPort: "http", protocol: "TCP" },
      ]);
      expect(service.spec?.selector).toEqual(
        find(objects, "Deployment", app.name).spec?.selector.matchLabels,
      );
      expect(find(objects, "Deployment", app.name).spec?.replicas).toBe(app.replicas);
    }
    const gateway = find(objects, "Service", "gateway");
    expect(gateway.spec?.clusterIP).toBe("None");
    expect(gateway.spec?.ports?.map((p) => [p.name, p.port])).toEqual([
      ["http", 8000],
      ["metrics", 8100],
    ]);
    expect(find(objects, "Deployment", "gateway").spec?.replicas).toBe(2);
  });

  it("puts Caddy behind a LoadBalancer on the stack's ports with a claim for its certificates", () => {
    const service = find(objects, "Service", "caddy");
    expect(service.spec?.type).toBe("LoadBalancer");
    expect(service.spec?.externalTrafficPolicy).toBe("Local");
    expect(service.spec?.ports?.map((p) => [p.port, p.targetPort])).toEqual([
      [stack.ports.http, 80],
      [stack.ports.https, 443],
    ]);
    const claim = find(objects, "PersistentVolumeClaim", "caddy-data");
    expect(claim.spec?.resources?.requests?.storage).toBe("1Gi");
    const caddy = find(objects, "Deployment", "caddy");
    expect(containerOf(caddy).volumeMounts).toContainEqual({ name: "caddy-data", mountPath: "/data" });
    expect(caddy.spec?.template.spec?.volumes).toContainEqual({
      name: "caddy-data",
      persistentVolumeClaim: { claimName: "caddy-data" },
    });
    // A claim is ReadWriteOnce: the old pod lets go of it before the new one starts.
    expect(caddy.spec?.strategy?.type).toBe("Recreate");
    // Its metrics listener only inside the cluster, every pod in DNS.
    const metrics = find(objects, "Service", "caddy-metrics");
    expect(metrics.spec?.clusterIP).toBe("None");
    expect(metrics.spec?.ports?.map((p) => p.port)).toEqual([9180]);
  });

  it("probes the apps on their health_path and the gateway on its status listener", () => {
    const catalog = containerOf(find(objects, "Deployment", "catalog"));
    for (const probe of [catalog.startupProbe, catalog.readinessProbe, catalog.livenessProbe]) {
      expect(probe?.httpGet).toEqual({ path: "/healthz", port: 8080 });
    }
    const gateway = containerOf(find(objects, "Deployment", "gateway"));
    expect(gateway.startupProbe?.httpGet).toEqual({ path: "/status/ready", port: 8100 });
    expect(gateway.readinessProbe?.httpGet).toEqual({ path: "/status/ready", port: 8100 });
    expect(gateway.livenessProbe?.httpGet).toEqual({ path: "/status", port: 8100 });
    for (const deployment of deployments(objects)) {
      const container = containerOf(deployment);
      expect(container.startupProbe, deployment.metadata?.name).toBeDefined();
      expect(container.readinessProbe, deployment.metadata?.name).toBeDefined();
      expect(container.livenessProbe, deployment.metadata?.name).toBeDefined();
    }
  });

  it("adds a PodDisruptionBudget exactly to the workloads with two replicas or more", () => {
    const budgets = objects.filter((o) => o.kind === "PodDisruptionBudget").map((o) => o.metadata?.name);
    expect(budgets.sort()).toEqual(["gateway", "orders"]);
    expect(find(objects, "PodDisruptionBudget", "orders").spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: find(objects, "Deployment", "orders").spec?.selector.matchLabels },
    });
    expect(
      objectsOf(monolithStack()).filter((o) => o.kind === "PodDisruptionBudget"),
      "one replica each: nothing to budget",
    ).toEqual([]);
  });

  it("spreads, limits and runs every pod as a non-root user without privileges", () => {
    for (const deployment of deployments(objects)) {
      const name = deployment.metadata?.name;
      const pod = deployment.spec?.template.spec;
      const selector = deployment.spec?.selector.matchLabels;
      expect(
        pod?.topologySpreadConstraints?.map((c) => c.topologyKey),
        name,
      ).toEqual(["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
      for (const constraint of pod?.topologySpreadConstraints ?? []) {
        expect(constraint.labelSelector?.matchLabels, name).toEqual(selector);
      }
      expect(pod?.securityContext?.runAsNonRoot, name).toBe(true);
      expect(pod?.securityContext?.runAsUser, name).toBeGreaterThan(0);
      expect(pod?.securityContext?.seccompProfile, name).toEqual({ type: "RuntimeDefault" });
      expect(pod?.automountServiceAccountToken, name).toBe(false);
      const container = containerOf(deployment);
      expect(container.securityContext?.allowPrivilegeEscalation, name).toBe(false);
      expect(container.securityContext?.capabilities?.drop, name).toEqual(["ALL"]);
      expect(Object.keys(container.resources?.requests ?? {}).sort(), name).toEqual(["cpu", "memory"]);
      expect(Object.keys(container.resources?.limits ?? {}).sort(), name).toEqual(["cpu", "memory"]);
    }
    // Caddy binds 80/443 as a non-root user: the unprivileged-port sysctl, and the one capability
    // its binary's file capability needs to exec at all.
    const caddy = find(objects, "Deployment", "caddy");
    expect(caddy.spec?.template.spec?.securityContext?.sysctls).toEqual([
      { name: "net.ipv4.ip_unprivileged_port_start", value: "0" },
    ]);
    expect(containerOf(caddy).securityContext?.capabilities?.add).toEqual(["NET_BIND_SERVICE"]);
  });

  it("annotates the pods that serve metrics for Prometheus, and no other", () => {
    const annotated = deployments(objects)
      .filter((d) => d.spec?.template.metadata?.annotations?.["prometheus.io/scrape"] === "true")
      .map((d) => [d.metadata?.name, d.spec?.template.metadata?.annotations]);
    expect(annotated).toEqual([
      [
        "caddy",
        { "prometheus.io/scrape": "true", "prometheus.io/port": "9180", "prometheus.io/path": "/metrics" },
      ],
      [
        "gateway",
        { "prometheus.io/scrape": "true", "prometheus.io/port": "8100", "prometheus.io/path": "/metrics" },
      ],
    ]);
  });

  it("writes a ServiceMonitor only when stack.yaml asks for one", () => {
    const paths = (s: StackConfig) => kubernetesArtifacts(s).map((a) => a.path);
    expect(paths(stack)).not.toContain(`${KUBERNETES_DIR}/service-monitor.yaml`);
    const monitored = microservicesStack({ kubernetes: { service_monitor: true } });
    expect(kustomizationOf(monitored).resources).toContain("service-monitor.yaml");
    const monitor = find(objectsOf(monitored), "ServiceMonitor", "market");
    expect(monitor.spec.endpoints).toEqual([{ port: "metrics", path: "/metrics", interval: "15s" }]);
    expect(monitor.spec.jobLabel).toBe("app.kubernetes.io/name");
    // It selects the Services that have a `metrics` port.
    const selected = objectsOf(monitored).filter(
      (o) =>
        o.kind === "Service" &&
        ["caddy", "gateway"].includes(o.metadata?.labels?.["app.kubernetes.io/name"] ?? "") &&
        o.spec?.ports?.some((p) => p.name === "metrics"),
    );
    expect(selected.map((o) => o.metadata?.name).sort()).toEqual(["caddy-metrics", "gateway"]);
  });

  it("runs every service compose runs but Jenkins (a compose-only addon)", () => {
    const names = deployments(objects).map((d) => d.metadata?.name);
    const composeNames = Object.keys(buildCompose(stack).services).filter((n) => n !== "jenkins");
    expect(names.sort()).toEqual(composeNames.sort());
    expect(composeNames).toContain("elasticsearch");
    expect(names).not.toContain("jenkins");
    const caddyfile = artifact(
      kubernetesArtifacts(stack),
      `${KUBERNETES_DIR}/config/caddy/Caddyfile`,
    ).content;
    expect(caddyfile).not.toContain("/jenkins");
    expect(caddyfile).toContain("handle /grafana/*");
  });
});

describe("kubernetes target: containers as compose runs them", () => {
  const stack = microservicesStack({}, ALL_ADDONS);
  const objects = objectsOf(stack);
  const compose = buildCompose(stack).services;

  it("takes each container's image and environment from compose.yaml, secrets as Secret keys", () => {
    for (const deployment of deployments(objects)) {
      const name = deployment.metadata?.name ?? "";
      const container = containerOf(deployment);
      const service = compose[name];
      expect(service, name).toBeDefined();
      expect(container.image).toBe(service?.image);
      const env = container.env ?? [];
      expect(env.map((e) => e.name).sort(), name).toEqual(Object.keys(service?.environment ?? {}).sort());
      for (const variable of env) {
        const composeValue = service?.environment?.[variable.name] ?? "";
        const reference = /^\$\{([A-Z0-9_]+)\}$/.exec(composeValue);
        if (reference) {
          expect(variable, name).toEqual({
            name: variable.name,
            valueFrom: { secretKeyRef: { name: "market-env", key: reference[1] } },
          });
        } else {
          expect(variable.value, `${name} ${variable.name}`).toBe(composeValue);
        }
      }
    }
    // Not one value of a secret variable is written anywhere: only its name.
    for (const a of kubernetesArtifacts(stack)) expect(a.content, a.path).not.toMatch(/\$\{[A-Z0-9_]+\}/);
  });

  it("passes compose's command to the image as args (Prometheus' flags)", () => {
    expect(containerOf(find(objects, "Deployment", "prometheus")).args).toEqual(compose.prometheus?.command);
  });

  it("mounts each config file from a hash-suffixed ConfigMap of the kustomization", () => {
    const kustomization = kustomizationOf(stack);
    const generated = new Set(kustomization.configMapGenerator.map((g) => g.name));
    const mounted = deployments(objects).flatMap(
      (d) => d.spec?.template.spec?.volumes?.flatMap((v) => (v.configMap ? [v.configMap.name] : [])) ?? [],
    );
    expect(new Set(mounted)).toEqual(generated);
    expect(kustomization.configMapGenerator.find((g) => g.name === "gateway-config")).toEqual({
      name: "gateway-config",
      files: ["gateway.yaml=config/gateway/gateway.yaml"],
    });
    // Every file the generator reads is generated inside the base (kustomize reads nothing outside).
    const paths = new Set(kubernetesArtifacts(stack).map((a) => a.path));
    for (const file of kustomization.configMapGenerator.flatMap((g) => g.files)) {
      expect(paths).toContain(`${KUBERNETES_DIR}/${file.split("=")[1]}`);
    }
  });

  it("lists the Secret's kustomization and every resource file", () => {
    const kustomization = kustomizationOf(stack);
    expect(kustomization.resources[0]).toBe("../../.gatestack/kubernetes-secrets");
    const resourceFiles = kubernetesArtifacts(stack)
      .map((a) => a.path.slice(KUBERNETES_DIR.length + 1))
      .filter((p) => !p.startsWith("config/") && p !== "kustomization.yaml");
    expect(kustomization.resources.slice(1).sort()).toEqual(resourceFiles.sort());
  });

  it("names the images the stack builds under kubernetes.registry, and leaves them alone without one", () => {
    expect(kustomizationOf(stack).images).toBeUndefined();
    const pushed = monolithStack({ kubernetes: { registry: "registry.example.com:5000/team" } });
    expect(kustomizationOf(pushed).images).toEqual([
      { name: "shop-app", newName: "registry.example.com:5000/team/shop-app" },
      { name: "gatestack/gateway", newName: "registry.example.com:5000/team/gatestack/gateway" },
    ]);
    const kong = monolithStack({ gateway: { engine: "kong" }, kubernetes: { registry: "r.example/x" } });
    expect(kustomizationOf(kong).images, "kong is pulled from its own registry").toEqual([
      { name: "shop-app", newName: "r.example/x/shop-app" },
    ]);
  });
});

describe("kubernetes target: config files", () => {
  const stack = microservicesStack({}, ALL_ADDONS);
  const files = kubernetesArtifacts(stack);

  it("Caddy balances over every gateway pod from the headless Service's DNS", () => {
    const caddyfile = artifact(files, `${KUBERNETES_DIR}/config/caddy/Caddyfile`).content;
    expect(caddyfile).toContain("dynamic a gateway 8000");
    expect(caddyfile).not.toMatch(/market-gateway-\d/);
  });

  it("the gateway reaches every app pod through its headless Service, on the stack.yaml port", () => {
    const gateway = parse(artifact(files, `${KUBERNETES_DIR}/config/gateway/gateway.yaml`).content) as {
      upstreams: Array<{ name: string; targets: Array<{ target: string }> }>;
    };
    expect(gateway.upstreams.map((u) => [u.name, u.targets.map((t) => t.target)])).toEqual([
      ["users.upstream", ["users:8000"]],
      ["orders.upstream", ["orders:8000"]],
      ["catalog.upstream", ["catalog:8080"]],
    ]);
  });

  it("Prometheus scrapes every Caddy and gateway pod through the headless Services", () => {
    const prometheus = parse(
      artifact(files, `${KUBERNETES_DIR}/config/prometheus/prometheus.yml`).content,
    ) as {
      scrape_configs: Array<{ job_name: string; dns_sd_configs?: Array<{ names: string[]; port: number }> }>;
    };
    const byJob = Object.fromEntries(prometheus.scrape_configs.map((c) => [c.job_name, c.dns_sd_configs]));
    expect(byJob.caddy).toEqual([expect.objectContaining({ names: ["caddy-metrics"], port: 9180 })]);
    expect(byJob.gateway).toEqual([expect.objectContaining({ names: ["gateway"], port: 8100 })]);
  });

  it("starts every file with the generated-file header", () => {
    for (const file of files.filter((f) => !f.path.endsWith(".json"))) {
      expect(file.content.split("\n")[0], file.path).toBe(
        "# generated by gatestack — edit stack.yaml instead",
      );
    }
  });
});

describe("kubernetes target: determinism", () => {
  it("plans byte-identical files for the same stack.yaml", () => {
    const a = kubernetesArtifacts(microservicesStack({ kubernetes: { service_monitor: true } }, ALL_ADDONS));
    const b = kubernetesArtifacts(
      structuredClone(microservicesStack({ kubernetes: { service_monitor: true } }, ALL_ADDONS)),
    );
    expect(b).toEqual(a);
    expect(a.map((f) => f.path)).toEqual([...a.map((f) => f.path)].sort());
  });
});

describe("compose environment → container env", () => {
  it("reads a value that is one .env reference from the Secret and keeps other values as they are", () => {
    expect(containerEnv({ A: envInterpolation("TOKEN"), B: "plain" }, undefined, "s-env")).toEqual({
      env: [
        { name: "A", valueFrom: { secretKeyRef: { name: "s-env", key: "TOKEN" } } },
        { name: "B", value: "plain" },
      ],
    });
  });

  it("turns a .env reference inside a value into $(NAME) after a variable from the Secret, in env and args", () => {
    expect(
      containerEnv(
        { URL: `redis://:${envInterpolation("PASS")}@redis:6379` },
        ["--requirepass", envInterpolation("PASS")],
        "s",
      ),
    ).toEqual({
      env: [
        { name: "PASS", valueFrom: { secretKeyRef: { name: "s", key: "PASS" } } },
        { name: "URL", value: "redis://:$(PASS)@redis:6379" },
      ],
      args: ["--requirepass", "$(PASS)"],
    });
  });

  it("escapes a literal $( so Kubernetes does not expand it", () => {
    expect(containerEnv({ A: "echo $(date)" }, ["$(HOME)"], "s")).toEqual({
      env: [{ name: "A", value: "echo $$(date)" }],
      args: ["$$(HOME)"],
    });
  });
});

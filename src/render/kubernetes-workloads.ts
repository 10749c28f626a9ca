/**
 * The stack's components as Kubernetes workloads. What each container runs — image, command,
 * environment, which .env variables it reads — is compose.yaml's (buildCompose), so the two
 * targets cannot disagree; what only a cluster needs is here: ports by name, probes, the
 * numeric user of each image, resources, volumes and how each component is reached.
 */
import { GatestackError } from "../errors.js";
import type { ServiceSpec, StackConfig } from "../stack/schema.js";
import { buildCompose } from "./compose.js";
import type { ComposeService } from "./compose-model.js";
import { containerEnv, secretName } from "./kubernetes-env.js";
import { httpProbes, type Mount, type Resources, tcpProbes, type Workload } from "./kubernetes-model.js";
import { enabledAddons, GATEWAY_CONFIG_PATH, httpsEnabled, PORTS } from "./topology.js";

/** The ConfigMaps the workloads mount (kustomization.yaml generates each from its files). */
export const CONFIG_MAPS = {
  caddy: "caddy-config",
  gateway: "gateway-config",
  prometheus: "prometheus-config",
  grafanaDatasources: "grafana-datasources",
  grafanaDashboards: "grafana-dashboards",
  logstashPipeline: "logstash-pipeline",
  logstashSettings: "logstash-settings",
  elasticsearch: "elasticsearch-config",
  kibana: "kibana-config",
} as const;

/** The headless Service of Caddy's metrics listener (the LoadBalancer one publishes only 80 and 443). */
export const CADDY_METRICS_SERVICE = "caddy-metrics";

/** Redis' port (the gateway plugins' shared counters). */
const REDIS_PORT = 6379;

/** Where the gatestack gateway, the apps and Caddy may write on a read-only root: an empty folder. */
const TMP: Mount = { name: "tmp", mountPath: "/tmp", source: { emptyDir: true } };

function resources(cpu: [string, string], memory: [string, string]): Resources {
  return { requests: { cpu: cpu[0], memory: memory[0] }, limits: { cpu: cpu[1], memory: memory[1] } };
}

/** A ConfigMap of the kustomization mounted as a folder, or one key of it as a file (`subPath`). */
function configMount(configMap: string, mountPath: string, subPath?: string): Mount {
  return { name: configMap, mountPath, ...(subPath === undefined ? {} : { subPath }), source: { configMap } };
}

/** A PersistentVolumeClaim of `size`, named as its volume. */
function claimMount(claim: string, mountPath: string, size: string): Mount {
  return { name: claim, mountPath, source: { claim, size } };
}

/** The workload's one Service, of its own name. */
function onlyService(
  name: string,
  type: "headless" | "ClusterIP",
  ports: Workload["ports"],
): Workload["services"] {
  return [{ name, kind: { type, ports } }];
}

/** The container-facing facts of a compose service: image, args (compose `command:`) and env. */
function fromCompose(
  stack: StackConfig,
  service: ComposeService,
): Pick<Workload, "image" | "env"> & { args?: string[] } {
  return {
    image: service.image,
    ...containerEnv(service.environment, service.command, secretName(stack.name)),
  };
}

function caddy(stack: StackConfig, compose: ComposeService): Workload {
  const https = httpsEnabled(stack);
  return {
    name: "caddy",
    component: "edge",
    replicas: 1,
    ...fromCompose(stack, compose),
    ports: [
      { name: "http", port: PORTS.caddyHttp },
      ...(https ? [{ name: "https", port: PORTS.caddyHttps }] : []),
      { name: "metrics", port: PORTS.caddyInternal },
    ],
    probes: httpProbes(PORTS.caddyInternal, { ready: "/healthz", alive: "/healthz" }, "fast"),
    resources: resources(["50m", "500m"], ["64Mi", "256Mi"]),
    // The caddy image runs as root; any other user works, its state is on the volumes below.
    user: { uid: 65532, gid: 65532 },
    readOnlyRootFilesystem: true,
    bindsLowPorts: true,
    mounts: [
      configMount(CONFIG_MAPS.caddy, "/etc/caddy"),
      // Certificates and ACME account (XDG_DATA_HOME=/data in the image): kept across restarts.
      claimMount("caddy-data", "/data", "1Gi"),
      // Caddy's autosave of the running config (XDG_CONFIG_HOME=/config): rebuilt at every start.
      { name: "caddy-autosave", mountPath: "/config", source: { emptyDir: true } },
      TMP,
    ],
    services: [
      {
        name: "caddy",
        kind: {
          type: "LoadBalancer",
          ports: [
            { name: "http", port: stack.ports.http, targetPort: PORTS.caddyHttp },
            ...(https ? [{ name: "https", port: stack.ports.https, targetPort: PORTS.caddyHttps }] : []),
          ],
        },
      },
      // The internal listener's /metrics, inside the cluster only: every Caddy pod in DNS.
      {
        name: CADDY_METRICS_SERVICE,
        kind: { type: "headless", ports: [{ name: "metrics", port: PORTS.caddyInternal }] },
      },
    ],
    metrics: { port: PORTS.caddyInternal, path: "/metrics" },
  };
}

function gateway(stack: StackConfig, compose: ComposeService): Workload {
  const kong = stack.gateway.engine === "kong";
  return {
    name: "gateway",
    component: "gateway",
    replicas: stack.gateway.replicas,
    ...fromCompose(stack, compose),
    ports: [
      { name: "http", port: PORTS.gatewayProxy },
      { name: "admin", port: PORTS.gatewayAdmin },
      { name: "metrics", port: PORTS.gatewayStatus },
      // the developer portal (stack.yaml portal: true), which Caddy serves at /portal
      ...(stack.portal ? [{ name: "portal", port: PORTS.gatewayPortal }] : []),
      // the gateway manager (addons.manager) on 0.0.0.0, which Caddy serves at /gateway
      ...(stack.addons.manager.enabled && !kong ? [{ name: "manager", port: PORTS.gatewayGui }] : []),
    ],
    // The status listener: /status/ready answers 200 once a configuration is loaded, /status while alive.
    probes: httpProbes(PORTS.gatewayStatus, { ready: "/status/ready", alive: "/status" }, "fast"),
    resources: kong
      ? resources(["100m", "1"], ["256Mi", "1Gi"])
      : resources(["100m", "1"], ["128Mi", "512Mi"]),
    // node (gatestack's image, FROM node) and kong (the kong image) are both uid 1000.
    user: { uid: 1000, gid: 1000 },
    // Kong writes its prefix (nginx.conf, sockets) under /usr/local/kong.
    readOnlyRootFilesystem: !kong,
    mounts: [
      {
        name: CONFIG_MAPS.gateway,
        mountPath: GATEWAY_CONFIG_PATH.slice(0, GATEWAY_CONFIG_PATH.lastIndexOf("/")),
        source: { configMap: CONFIG_MAPS.gateway },
      },
      TMP,
    ],
    // Headless: Caddy balances over every ready gateway pod itself (`dynamic a gateway`).
    services: [
      {
        name: "gateway",
        kind: {
          type: "headless",
          ports: [
            { name: "http", port: PORTS.gatewayProxy },
            { name: "metrics", port: PORTS.gatewayStatus },
          ],
        },
      },
    ],
    metrics: { port: PORTS.gatewayStatus, path: "/metrics" },
  };
}

function app(stack: StackConfig, spec: ServiceSpec, compose: ComposeService): Workload {
  return {
    name: spec.name,
    component: "app",
    replicas: spec.replicas,
    ...fromCompose(stack, compose),
    ports: [{ name: "http", port: spec.port }],
    probes: httpProbes(spec.port, { ready: spec.health_path, alive: spec.health_path }, "fast"),
    resources: resources(["50m", "500m"], ["128Mi", "256Mi"]),
    // The starters' Dockerfile: `useradd --uid 10001 app`.
    user: { uid: 10001, gid: 10001 },
    readOnlyRootFilesystem: true,
    mounts: [TMP],
    // Headless: its DNS name answers with every ready pod, which the gateway balances itself.
    services: onlyService(spec.name, "headless", [{ name: "http", port: spec.port }]),
  };
}

function redis(stack: StackConfig, compose: ComposeService): Workload {
  return {
    name: "redis",
    component: "state",
    replicas: 1,
    ...fromCompose(stack, compose),
    ports: [{ name: "redis", port: REDIS_PORT }],
    probes: tcpProbes(REDIS_PORT),
    resources: resources(["50m", "500m"], ["64Mi", "256Mi"]),
    // The redis image's `redis` user.
    user: { uid: 999, gid: 999 },
    readOnlyRootFilesystem: true,
    mounts: [{ name: "redis-data", mountPath: "/data", source: { emptyDir: true } }],
    services: onlyService("redis", "ClusterIP", [{ name: "redis", port: REDIS_PORT }]),
  };
}

function prometheus(stack: StackConfig, compose: ComposeService): Workload {
  return {
    name: "prometheus",
    component: "monitoring",
    replicas: 1,
    ...fromCompose(stack, compose),
    ports: [{ name: "http", port: PORTS.prometheus }],
    probes: httpProbes(PORTS.prometheus, { ready: "/-/ready", alive: "/-/healthy" }, "fast"),
    resources: resources(["100m", "1"], ["256Mi", "1Gi"]),
    // The prom/prometheus image's `nobody`.
    user: { uid: 65534, gid: 65534 },
    readOnlyRootFilesystem: true,
    mounts: [
      configMount(CONFIG_MAPS.prometheus, "/etc/prometheus"),
      claimMount("prometheus-data", "/prometheus", "10Gi"),
    ],
    services: onlyService("prometheus", "ClusterIP", [{ name: "http", port: PORTS.prometheus }]),
  };
}

function grafana(stack: StackConfig, compose: ComposeService): Workload {
  const provisioned = enabledAddons(stack).prometheus;
  return {
    name: "grafana",
    component: "monitoring",
    replicas: 1,
    ...fromCompose(stack, compose),
    ports: [{ name: "http", port: PORTS.grafana }],
    probes: httpProbes(PORTS.grafana, { ready: "/grafana/api/health", alive: "/grafana/api/health" }, "fast"),
    resources: resources(["50m", "500m"], ["128Mi", "512Mi"]),
    // The grafana image's `grafana` user, which owns the image's Grafana folders.
    user: { uid: 472, gid: 472 },
    readOnlyRootFilesystem: false,
    mounts: [
      claimMount("grafana-data", "/var/lib/grafana", "1Gi"),
      ...(provisioned
        ? [
            configMount(CONFIG_MAPS.grafanaDatasources, "/etc/grafana/provisioning/datasources"),
            configMount(CONFIG_MAPS.grafanaDashboards, "/etc/grafana/provisioning/dashboards"),
          ]
        : []),
    ],
    services: onlyService("grafana", "ClusterIP", [{ name: "http", port: PORTS.grafana }]),
  };
}

/** The Elastic images' `elasticsearch` / `logstash` / `kibana` user, uid 1000 (it owns their folders). */
const ELASTIC_USER = { uid: 1000, gid: 1000 };

function elasticsearch(stack: StackConfig, compose: ComposeService): Workload {
  return {
    name: "elasticsearch",
    component: "logging",
    replicas: 1,
    ...fromCompose(stack, compose),
    ports: [{ name: "http", port: PORTS.elasticsearch }],
    probes: httpProbes(
      PORTS.elasticsearch,
      { ready: "/_cluster/health?wait_for_status=yellow&timeout=5s", alive: "/" },
      "slow",
    ),
    // ES_JAVA_OPTS gives the JVM a 512 MiB heap; off-heap needs as much again.
    resources: resources(["250m", "2"], ["1Gi", "1536Mi"]),
    user: ELASTIC_USER,
    readOnlyRootFilesystem: false,
    mounts: [
      configMount(
        CONFIG_MAPS.elasticsearch,
        "/usr/share/elasticsearch/config/elasticsearch.yml",
        "elasticsearch.yml",
      ),
      claimMount("elasticsearch-data", "/usr/share/elasticsearch/data", "20Gi"),
    ],
    services: [
      {
        name: "elasticsearch",
        kind: { type: "ClusterIP", ports: [{ name: "http", port: PORTS.elasticsearch }] },
      },
    ],
  };
}

function logstash(stack: StackConfig, compose: ComposeService): Workload {
  return {
    name: "logstash",
    component: "logging",
    replicas: 1,
    ...fromCompose(stack, compose),
    ports: [
      { name: "http", port: PORTS.logstashHttp },
      { name: "api", port: PORTS.logstashApi },
    ],
    probes: httpProbes(PORTS.logstashApi, { ready: "/", alive: "/" }, "slow"),
    resources: resources(["250m", "1"], ["512Mi", "1Gi"]),
    user: ELASTIC_USER,
    readOnlyRootFilesystem: false,
    mounts: [
      configMount(CONFIG_MAPS.logstashPipeline, "/usr/share/logstash/pipeline"),
      configMount(CONFIG_MAPS.logstashSettings, "/usr/share/logstash/config/logstash.yml", "logstash.yml"),
    ],
    // The gateway's http-log plugin posts here.
    services: onlyService("logstash", "ClusterIP", [{ name: "http", port: PORTS.logstashHttp }]),
  };
}

function kibana(stack: StackConfig, compose: ComposeService): Workload {
  return {
    name: "kibana",
    component: "logging",
    replicas: 1,
    ...fromCompose(stack, compose),
    ports: [{ name: "http", port: PORTS.kibana }],
    probes: httpProbes(PORTS.kibana, { ready: "/kibana/api/status", alive: "/kibana/api/status" }, "slow"),
    resources: resources(["100m", "1"], ["512Mi", "1Gi"]),
    user: ELASTIC_USER,
    readOnlyRootFilesystem: false,
    mounts: [configMount(CONFIG_MAPS.kibana, "/usr/share/kibana/config/kibana.yml", "kibana.yml")],
    services: onlyService("kibana", "ClusterIP", [{ name: "http", port: PORTS.kibana }]),
  };
}

type WorkloadBuilder = (stack: StackConfig, compose: ComposeService) => Workload;

/** The compose services the kubernetes target runs, other than the apps. */
const BUILDERS: Readonly<Record<string, WorkloadBuilder>> = {
  caddy,
  gateway,
  redis,
  prometheus,
  grafana,
  elasticsearch,
  logstash,
  kibana,
};

/**
 * The stack as a cluster runs it: without the Jenkins addon, whose pipeline job builds the stack
 * folder's own git history (mounted from the host) and pushes gateway configs to compose
 * containers. Caddy then serves no /jenkins either.
 */
export function onKubernetes(stack: StackConfig): StackConfig {
  if (!stack.addons.jenkins.enabled) return stack;
  return { ...stack, addons: { ...stack.addons, jenkins: { enabled: false } } };
}

/**
 * Every workload of the stack, in compose.yaml's order: Caddy, the gateway, the apps, then the
 * components compose runs beside them (Redis when gateway replicas share state, the addons that are on).
 */
export function kubernetesWorkloads(stack: StackConfig): Workload[] {
  const compose = buildCompose(onKubernetes(stack)).services;
  const apps = new Map(stack.services.map((s) => [s.name, s]));
  const workloads: Workload[] = [];
  for (const [name, service] of Object.entries(compose)) {
    const spec = apps.get(name);
    if (spec !== undefined) {
      workloads.push(app(stack, spec, service));
      continue;
    }
    const build = BUILDERS[name];
    if (build === undefined) {
      throw new GatestackError("E_INTERNAL", `compose service "${name}" has no Kubernetes workload`);
    }
    workloads.push(build(stack, service));
  }
  return workloads;
}

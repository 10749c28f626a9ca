import { posix } from "node:path";
import type { StackConfig } from "../stack/schema.js";
import { CADDYFILE_PATH, renderCaddyfile } from "./caddyfile.js";
import { ELASTICSEARCH_CONFIG_PATH, renderElasticsearch } from "./elasticsearch.js";
import { GATEWAY_CONFIG_FILE, renderGatewayConfig } from "./gateway.js";
import { buildsGatewayImage } from "./gateway-context.js";
import { GRAFANA_PROVISIONING_DIR, renderGrafanaProvisioning } from "./grafana.js";
import { KIBANA_CONFIG_PATH, renderKibana } from "./kibana.js";
import { type IServiceMonitor, objectLabels, workloadObjects } from "./kubernetes-model.js";
import { KUBERNETES_SECRETS_DIR } from "./kubernetes-secrets.js";
import {
  CADDY_METRICS_SERVICE,
  CONFIG_MAPS,
  kubernetesWorkloads,
  onKubernetes,
} from "./kubernetes-workloads.js";
import { LOGSTASH_PIPELINE_PATH, LOGSTASH_SETTINGS_PATH, renderLogstash } from "./logstash.js";
import { PROMETHEUS_CONFIG_PATH, renderPrometheusConfig } from "./prometheus.js";
import { toYaml, toYamlDocuments } from "./serialize.js";
import { KUBERNETES_DIR, refuseUnsupportedDatabase } from "./targets.js";
import { enabledAddons, PORTS } from "./topology.js";
import type { Artifact } from "./types.js";

export const KUSTOMIZATION_PATH = `${KUBERNETES_DIR}/kustomization.yaml`;

/** The fields of kustomize's Kustomization that the base sets (kustomize has no published types). */
interface Kustomization {
  apiVersion: "kustomize.config.k8s.io/v1beta1";
  kind: "Kustomization";
  resources: string[];
  configMapGenerator: Array<{ name: string; files: string[] }>;
  images?: Array<{ name: string; newName: string }>;
}

/** A config file a ConfigMap carries: `key` is its file name where the container mounts it. */
interface ConfigFile {
  configMap: string;
  key: string;
  /** The file's path inside deploy/kubernetes. */
  path: string;
  content: string;
}

/** `config/…` as the kubernetes target's copy under deploy/kubernetes/. */
const inBase = (path: string) => `${KUBERNETES_DIR}/${path}`;

/**
 * The config files the workloads mount, as copies inside deploy/kubernetes/: kustomize reads
 * only files below the kustomization's folder (`../../config/…` is refused without
 * `--load-restrictor LoadRestrictionsNone`), and two of them differ from compose's anyway —
 * Caddy and Prometheus find the gateway pods (and Prometheus the Caddy pods) through headless
 * Services' DNS. The others are the compose files' content.
 */
function configFiles(stack: StackConfig): ConfigFile[] {
  const addons = enabledAddons(stack);
  const files: ConfigFile[] = [];
  const add = (configMap: string, artifact: Artifact, key = posix.basename(artifact.path)) =>
    files.push({ configMap, key, path: artifact.path, content: artifact.content });

  add(
    CONFIG_MAPS.caddy,
    renderCaddyfile(stack, {
      path: inBase(CADDYFILE_PATH),
      gateway: { dynamic: { name: "gateway", port: PORTS.gatewayProxy } },
      basicauth: { env: true },
    }),
  );
  // The apps' headless Services resolve to every ready pod in the gateway's namespace, as compose's DNS does.
  add(
    CONFIG_MAPS.gateway,
    renderGatewayConfig(stack, { path: inBase(GATEWAY_CONFIG_FILE), appHost: (s) => s }),
  );
  if (addons.prometheus) {
    // Every pod through the headless Services' DNS, as compose's file does (no Kubernetes API access).
    add(
      CONFIG_MAPS.prometheus,
      renderPrometheusConfig(stack, {
        path: inBase(PROMETHEUS_CONFIG_PATH),
        replicasOf: (service) => (service === "caddy" ? CADDY_METRICS_SERVICE : service),
        singleCaddy: false,
      }),
    );
  }
  for (const artifact of renderGrafanaProvisioning(stack)) {
    const datasource = artifact.path.startsWith(`${GRAFANA_PROVISIONING_DIR}/datasources/`);
    add(datasource ? CONFIG_MAPS.grafanaDatasources : CONFIG_MAPS.grafanaDashboards, {
      ...artifact,
      path: inBase(artifact.path),
    });
  }
  const byPath: Record<string, string> = {
    [LOGSTASH_PIPELINE_PATH]: CONFIG_MAPS.logstashPipeline,
    [LOGSTASH_SETTINGS_PATH]: CONFIG_MAPS.logstashSettings,
    [ELASTICSEARCH_CONFIG_PATH]: CONFIG_MAPS.elasticsearch,
    [KIBANA_CONFIG_PATH]: CONFIG_MAPS.kibana,
  };
  for (const artifact of [...renderLogstash(stack), ...renderElasticsearch(stack), ...renderKibana(stack)]) {
    const configMap = byPath[artifact.path];
    if (configMap !== undefined) add(configMap, { ...artifact, path: inBase(artifact.path) });
  }
  return files;
}

/**
 * The Prometheus Operator's ServiceMonitor (kubernetes.service_monitor): the `metrics` port of
 * the gateway's Service and of caddy-metrics. Jobs are named by app.kubernetes.io/name, as
 * compose's are.
 */
function serviceMonitor(stack: StackConfig): IServiceMonitor {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: stack.name, labels: objectLabels(stack, stack.name, "monitoring") },
    spec: {
      jobLabel: "app.kubernetes.io/name",
      selector: {
        matchLabels: { "app.kubernetes.io/instance": stack.name },
        matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["caddy", "gateway"] }],
      },
      endpoints: [{ port: "metrics", path: "/metrics", interval: "15s" }],
    },
  };
}

/**
 * The images the stack builds (the apps, gatestack's gateway) under `kubernetes.registry`,
 * through kustomize's `images:` (so `kustomize edit set image` and overlays can change them too).
 */
function registryImages(stack: StackConfig): Kustomization["images"] {
  const registry = stack.kubernetes.registry;
  if (registry === undefined) return undefined;
  const built = stack.services.map((s) => `${stack.name}-${s.name}`);
  if (buildsGatewayImage(stack)) built.push("gatestack/gateway");
  return built.map((name) => ({ name, newName: `${registry}/${name}` }));
}

const KUSTOMIZATION_COMMENT = [
  "",
  "kubectl apply -k deploy/kubernetes (try --dry-run=server first). Config files are copies under",
  "config/ here: kustomize reads no file outside this folder. The Secret comes from .env through",
  `../../${KUBERNETES_SECRETS_DIR}, which \`stack render --target kubernetes\` writes (kept out of git).`,
];

/**
 * deploy/kubernetes/: the Kustomize base of the stack — per app a Deployment and a headless
 * Service (the gateway balances every pod), the gateway's Deployment and headless Service,
 * Caddy (Deployment, LoadBalancer Service, a claim for its certificates), Redis when compose
 * runs one, the addons that are on (not Jenkins: see onKubernetes), config files through
 * configMapGenerator and the credentials through a secretGenerator kept out of this folder.
 */
export function renderKubernetes(input: StackConfig): Artifact[] {
  refuseUnsupportedDatabase(input, "kubernetes");
  const stack = onKubernetes(input);
  const artifacts: Artifact[] = [];
  const resources: string[] = [posix.relative(KUBERNETES_DIR, KUBERNETES_SECRETS_DIR)];
  const appNames = new Set(stack.services.map((s) => s.name));
  for (const workload of kubernetesWorkloads(stack)) {
    const file = appNames.has(workload.name) ? `apps/${workload.name}.yaml` : `${workload.name}.yaml`;
    artifacts.push({
      path: `${KUBERNETES_DIR}/${file}`,
      content: toYamlDocuments(workloadObjects(stack, workload)),
    });
    resources.push(file);
  }
  if (stack.kubernetes.service_monitor) {
    artifacts.push({
      path: `${KUBERNETES_DIR}/service-monitor.yaml`,
      content: toYaml(serviceMonitor(stack)),
    });
    resources.push("service-monitor.yaml");
  }

  const files = configFiles(stack);
  const generators = new Map<string, string[]>();
  for (const file of files) {
    artifacts.push({ path: file.path, content: file.content });
    const entry = `${file.key}=${posix.relative(KUBERNETES_DIR, file.path)}`;
    generators.set(file.configMap, [...(generators.get(file.configMap) ?? []), entry]);
  }

  const images = registryImages(stack);
  const kustomization: Kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources,
    configMapGenerator: [...generators].map(([name, entries]) => ({ name, files: entries })),
    ...(images === undefined ? {} : { images }),
  };
  artifacts.push({
    path: KUSTOMIZATION_PATH,
    content: toYaml(kustomization, { comment: KUSTOMIZATION_COMMENT }),
  });
  return artifacts;
}

/**
 * The Kubernetes objects the kubernetes target writes, typed with the API's own types (the
 * `kubernetes-models` declarations, compile time only: a misspelled field does not compile),
 * and how one workload of the stack becomes them: a Deployment, its Service, a
 * PodDisruptionBudget from two replicas on, and the claims of its volumes.
 */
import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { IService } from "kubernetes-models/v1/Service";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import { GatestackError } from "../errors.js";
import type { StackConfig } from "../stack/schema.js";

export type KubernetesObject =
  | IDeployment
  | IService
  | IPodDisruptionBudget
  | IPersistentVolumeClaim
  | IServiceMonitor;

export type { IEnvVar, IProbe, IServiceMonitor };

/** A container port; the name is what Services, probes and the ServiceMonitor refer to. */
export interface NamedPort {
  name: string;
  port: number;
}

/** What a volume of the workload is backed by. */
export type VolumeSource = { configMap: string } | { claim: string; size: string } | { emptyDir: true };

export interface Mount {
  /** Volume name (also the ConfigMap or claim name: unique in the stack). */
  name: string;
  mountPath: string;
  /** One key of a ConfigMap mounted as a single file (the consumer reads one file of a folder it owns). */
  subPath?: string;
  source: VolumeSource;
}

/** CPU and memory requests and limits, Kubernetes quantities. */
export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** How a workload is reached: a headless Service lists every ready pod in DNS (clusterIP: None). */
export type ServiceKind =
  | { type: "headless"; ports: NamedPort[] }
  | { type: "ClusterIP"; ports: NamedPort[] }
  | { type: "LoadBalancer"; ports: Array<NamedPort & { targetPort: number }> };

/** One component of the stack as the kubernetes target runs it. */
export interface Workload {
  /** Deployment and Service name, and the pods' app.kubernetes.io/name (the compose service name). */
  name: string;
  /** app.kubernetes.io/component */
  component: "edge" | "gateway" | "app" | "state" | "monitoring" | "logging";
  replicas: number;
  image: string;
  /** Replaces the image's CMD (compose `command:`). */
  args?: string[];
  env: IEnvVar[];
  ports: NamedPort[];
  probes: { startup: IProbe; readiness: IProbe; liveness: IProbe };
  resources: Resources;
  /** The numeric user and group the image's process runs as (runAsNonRoot needs a number). */
  user: { uid: number; gid: number };
  /** The image writes only to its volumes. */
  readOnlyRootFilesystem: boolean;
  mounts: Mount[];
  /** Its Services, by name (the first is named as the workload). */
  services: Array<{ name: string; kind: ServiceKind }>;
  /** Where a Prometheus scrapes the pods (prometheus.io/* annotations). */
  metrics?: { port: number; path: string };
  /** Low ports bound by a non-root process (Caddy's 80 and 443). */
  bindsLowPorts?: boolean;
}

const MANAGED_BY = "gatestack";

/** The labels a workload's pods are selected by. */
export function selectorLabels(stack: StackConfig, name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": stack.name };
}

/** Every object's labels: the selector labels, the component, the stack and who wrote it. */
export function objectLabels(stack: StackConfig, name: string, component: string): Record<string, string> {
  return {
    ...selectorLabels(stack, name),
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": stack.name,
    "app.kubernetes.io/managed-by": MANAGED_BY,
  };
}

/** Probe timings: quick ones for the request path, patient ones for JVM tools that boot for minutes. */
export type ProbePace = "fast" | "slow";

const PACES: Record<ProbePace, Record<"startup" | "readiness" | "liveness", Omit<IProbe, "httpGet">>> = {
  fast: {
    startup: { periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 30 },
    readiness: { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    liveness: { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
  },
  slow: {
    startup: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 30 },
    readiness: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    liveness: { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
  },
};

/**
 * HTTP probes: the startup probe holds the others back until `ready` answers once, readiness
 * takes a pod out of its Service (and the gateway's DNS answer) while `ready` fails, liveness
 * restarts it when `alive` stops answering.
 */
export function httpProbes(
  port: number,
  paths: { ready: string; alive: string },
  pace: ProbePace,
): Workload["probes"] {
  const timing = PACES[pace];
  return {
    startup: { httpGet: { path: paths.ready, port }, ...timing.startup },
    readiness: { httpGet: { path: paths.ready, port }, ...timing.readiness },
    liveness: { httpGet: { path: paths.alive, port }, ...timing.liveness },
  };
}

/** TCP probes, for a server that speaks no HTTP (Redis). */
export function tcpProbes(port: number): Workload["probes"] {
  const timing = PACES.fast;
  return {
    startup: { tcpSocket: { port }, ...timing.startup },
    readiness: { tcpSocket: { port }, ...timing.readiness },
    liveness: { tcpSocket: { port }, ...timing.liveness },
  };
}

function volumeOf(mount: Mount): IVolume {
  const { source } = mount;
  if ("configMap" in source) return { name: mount.name, configMap: { name: source.configMap } };
  if ("claim" in source) return { name: mount.name, persistentVolumeClaim: { claimName: source.claim } };
  return { name: mount.name, emptyDir: {} };
}

function volumeMountOf(mount: Mount): IVolumeMount {
  return {
    name: mount.name,
    mountPath: mount.mountPath,
    ...("configMap" in mount.source ? { readOnly: true } : {}),
    ...(mount.subPath === undefined ? {} : { subPath: mount.subPath }),
  };
}

/** One volume per name: a ConfigMap mounted file by file is still one volume; one name, two sources is a bug. */
function uniqueVolumes(w: Workload): IVolume[] {
  const volumes = new Map<string, IVolume>();
  for (const mount of w.mounts) {
    const volume = volumeOf(mount);
    const seen = volumes.get(mount.name);
    if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(volume)) {
      throw new GatestackError("E_INTERNAL", `${w.name}: two volumes named ${mount.name}`);
    }
    volumes.set(mount.name, volume);
  }
  return [...volumes.values()];
}

/** Claims survive their pods: a Deployment with one must stop the old pod before the new one mounts it. */
function hasClaim(workload: Workload): boolean {
  return workload.mounts.some((m) => "claim" in m.source);
}

function deployment(stack: StackConfig, w: Workload): IDeployment {
  const selector = selectorLabels(stack, w.name);
  const annotations =
    w.metrics === undefined
      ? undefined
      : {
          "prometheus.io/scrape": "true",
          "prometheus.io/port": String(w.metrics.port),
          "prometheus.io/path": w.metrics.path,
        };
  const volumes = uniqueVolumes(w);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: w.name, labels: objectLabels(stack, w.name, w.component) },
    spec: {
      replicas: w.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: hasClaim(w)
        ? { type: "Recreate" }
        : { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: objectLabels(stack, w.name, w.component),
          ...(annotations === undefined ? {} : { annotations }),
        },
        spec: {
          // Nothing in the stack talks to the Kubernetes API.
          automountServiceAccountToken: false,
          // No {SERVICE}_PORT variables: a Service named `redis` would set REDIS_PORT=tcp://… in every pod.
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: w.user.uid,
            runAsGroup: w.user.gid,
            fsGroup: w.user.gid,
            seccompProfile: { type: "RuntimeDefault" },
            ...(w.bindsLowPorts
              ? { sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }] }
              : {}),
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "topology.kubernetes.io/zone",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: selector },
              matchLabelKeys: ["pod-template-hash"],
            },
            {
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: selector },
              matchLabelKeys: ["pod-template-hash"],
            },
          ],
          containers: [
            {
              name: w.name,
              image: w.image,
              ...(w.args === undefined ? {} : { args: w.args }),
              ...(w.env.length > 0 ? { env: w.env } : {}),
              ports: w.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: "TCP" })),
              startupProbe: w.probes.startup,
              readinessProbe: w.probes.readiness,
              livenessProbe: w.probes.liveness,
              resources: w.resources,
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: w.readOnlyRootFilesystem,
                // The caddy image's binary carries cap_net_bind_service=+ep: exec fails unless the
                // capability stays in the bounding set. The bind itself works by the sysctl above.
                capabilities: w.bindsLowPorts
                  ? { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }
                  : { drop: ["ALL"] },
              },
              ...(w.mounts.length > 0 ? { volumeMounts: w.mounts.map(volumeMountOf) } : {}),
            },
          ],
          ...(volumes.length > 0 ? { volumes } : {}),
        },
      },
    },
  };
}

function service(stack: StackConfig, w: Workload, name: string, kind: ServiceKind): IService {
  const metadata = {
    name,
    labels: objectLabels(stack, w.name, w.component),
  };
  const selector = selectorLabels(stack, w.name);
  if (kind.type === "LoadBalancer") {
    return {
      apiVersion: "v1",
      kind: "Service",
      metadata,
      spec: {
        type: "LoadBalancer",
        // The client's own address reaches Caddy (no SNAT to a node's), so X-Forwarded-For is true.
        externalTrafficPolicy: "Local",
        selector,
        ports: kind.ports.map((p) => ({
          name: p.name,
          port: p.port,
          targetPort: p.targetPort,
          protocol: "TCP",
        })),
      },
    };
  }
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {
      type: "ClusterIP",
      ...(kind.type === "headless" ? { clusterIP: "None" } : {}),
      selector,
      ports: kind.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP" })),
    },
  };
}

function disruptionBudget(stack: StackConfig, w: Workload): IPodDisruptionBudget {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: w.name, labels: objectLabels(stack, w.name, w.component) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(stack, w.name) } },
  };
}

function claims(stack: StackConfig, w: Workload): IPersistentVolumeClaim[] {
  return w.mounts.flatMap((m) =>
    "claim" in m.source
      ? [
          {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: m.source.claim, labels: objectLabels(stack, w.name, w.component) },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: m.source.size } } },
          } satisfies IPersistentVolumeClaim,
        ]
      : [],
  );
}

/** A workload's objects: its Deployment, Service, claims and, from two replicas, a PodDisruptionBudget. */
export function workloadObjects(stack: StackConfig, w: Workload): KubernetesObject[] {
  return [
    deployment(stack, w),
    ...w.services.map((s) => service(stack, w, s.name, s.kind)),
    ...claims(stack, w),
    ...(w.replicas >= 2 ? [disruptionBudget(stack, w)] : []),
  ];
}

/**
 * Turns one replica of a Compose service into the Engine API create request, labelled like Compose.
 * The engine takes one network at create time (API < 1.44): the others are connected before start.
 */
import type Dockerode from "dockerode";
import { GATESTACK_VERSION } from "../version.js";
import type { ComposeProject, ServiceConfig } from "./compose/project.js";
import { COMPOSE_VERSION_LABEL, LABEL } from "./labels.js";

export interface ContainerSpec {
  name: string;
  options: Dockerode.ContainerCreateOptions;
  /** Networks to connect after create (engine name → endpoint settings). */
  extraNetworks: Array<{ network: string; endpoint: Dockerode.EndpointSettings }>;
}

/** A mount as the Engine API takes it (the @types mount type wrongly requires every field). */
interface EngineMount {
  Type: "bind" | "volume" | "tmpfs";
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  VolumeOptions?: { NoCopy: boolean };
  TmpfsOptions?: { SizeBytes: number };
}

/** What the engine supports, for fields newer than API 1.41. */
export interface EngineInfo {
  apiVersion?: string;
}

/** "1.44" >= "1.41"… (major.minor). */
export function apiAtLeast(version: string | undefined, wanted: string): boolean {
  if (!version) return false;
  const [a = 0, b = 0] = version.split(".").map(Number);
  const [x = 0, y = 0] = wanted.split(".").map(Number);
  return a > x || (a === x && b >= y);
}

export interface ContainerIdentity {
  configHash: string;
  mountsHash: string;
  imageId?: string;
}

export function containerName(project: ComposeProject, svc: ServiceConfig, number: number): string {
  return svc.containerName ?? `${project.name}-${svc.name}-${number}`;
}

export function containerLabels(
  project: ComposeProject,
  svc: ServiceConfig,
  number: number,
  id: ContainerIdentity,
): Record<string, string> {
  const labels: Record<string, string> = {
    ...svc.labels,
    [LABEL.project]: project.name,
    [LABEL.service]: svc.name,
    [LABEL.containerNumber]: String(number),
    [LABEL.configHash]: id.configHash,
    [LABEL.oneoff]: "False",
    [LABEL.workingDir]: project.workingDir,
    [LABEL.configFiles]: project.configFiles.join(","),
    [LABEL.version]: COMPOSE_VERSION_LABEL,
    [LABEL.dependsOn]: Object.entries(svc.dependsOn)
      .map(([dep, d]) => `${dep}:${d.condition}:${d.restart}`)
      .join(","),
    [LABEL.mountsHash]: id.mountsHash,
    [LABEL.createdBy]: GATESTACK_VERSION,
  };
  if (id.imageId) labels[LABEL.image] = id.imageId;
  return labels;
}

function restartPolicy(restart: string): Dockerode.HostRestartPolicy {
  const [name, count] = restart.split(":");
  if (name === "on-failure") return { Name: "on-failure", MaximumRetryCount: Number(count ?? 0) };
  if (name === "always" || name === "unless-stopped") return { Name: name };
  return { Name: "no" };
}

/** Networks in the order Compose attaches them: priority (high first), then name. */
export function orderedNetworks(svc: ServiceConfig): string[] {
  return Object.entries(svc.networks)
    .sort(([a, x], [b, y]) => y.priority - x.priority || (a < b ? -1 : a > b ? 1 : 0))
    .map(([k]) => k);
}

function endpoint(project: ComposeProject, svc: ServiceConfig, key: string): Dockerode.EndpointSettings {
  const n = svc.networks[key];
  const ep: Dockerode.EndpointSettings = { Aliases: [svc.name, ...(n?.aliases ?? [])] };
  if (n?.ipv4Address) ep.IPAMConfig = { IPv4Address: n.ipv4Address };
  void project;
  return ep;
}

export function containerSpec(
  project: ComposeProject,
  svc: ServiceConfig,
  number: number,
  id: ContainerIdentity,
  engine: EngineInfo = {},
): ContainerSpec {
  const name = containerName(project, svc, number);
  const exposed: Record<string, Record<string, never>> = {};
  const portBindings: Record<string, Array<{ HostIp?: string; HostPort?: string }>> = {};
  for (const p of svc.ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    const binding: { HostIp?: string; HostPort?: string } = { HostPort: p.published ?? "" };
    if (p.host_ip) binding.HostIp = p.host_ip;
    portBindings[key] = [...(portBindings[key] ?? []), binding];
  }
  for (const e of svc.expose) exposed[e.includes("/") ? e : `${e}/tcp`] = {};

  const binds: string[] = [];
  const mounts: EngineMount[] = [];
  for (const v of svc.volumes) {
    if (v.type === "bind") {
      const opts = [v.read_only ? "ro" : "rw"];
      const sel = v.bind?.selinux;
      if (typeof sel === "string") opts.push(sel);
      const prop = v.bind?.propagation;
      if (typeof prop === "string") opts.push(prop);
      if (v.bind?.create_host_path === false) {
        mounts.push({
          Type: "bind",
          Source: v.source ?? "",
          Target: v.target,
          ReadOnly: v.read_only === true,
        });
      } else {
        binds.push(`${v.source}:${v.target}:${opts.join(",")}`);
      }
    } else if (v.type === "volume") {
      const m: EngineMount = { Type: "volume", Target: v.target, ReadOnly: v.read_only === true };
      if (v.source) m.Source = project.volumes[v.source]?.name ?? v.source;
      if (v.volume?.nocopy === true) m.VolumeOptions = { NoCopy: true };
      mounts.push(m);
    } else if (v.type === "tmpfs") {
      const m: EngineMount = { Type: "tmpfs", Target: v.target };
      const size = v.tmpfs?.size;
      if (typeof size === "number") m.TmpfsOptions = { SizeBytes: size };
      mounts.push(m);
    }
  }

  const networks = orderedNetworks(svc);
  const first = networks[0];
  const netName = (key: string) => project.networks[key]?.name ?? key;

  const hostConfig: Dockerode.HostConfig = {
    RestartPolicy: restartPolicy(svc.restart),
    PortBindings: portBindings,
    Binds: binds,
    Mounts: mounts as unknown as Dockerode.MountConfig,
    NetworkMode: svc.networkMode ?? (first ? netName(first) : "default"),
    ExtraHosts: Object.entries(svc.extraHosts).map(([h, ip]) => `${h}:${ip}`),
    CapAdd: svc.capAdd,
    CapDrop: svc.capDrop,
    SecurityOpt: svc.securityOpt,
    Dns: svc.dns,
    DnsSearch: svc.dnsSearch,
    Sysctls: svc.sysctls,
    Ulimits: Object.entries(svc.ulimits).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard })),
    Tmpfs: Object.fromEntries(
      svc.tmpfs.map((t) => {
        const [p, o] = t.split(":");
        return [p as string, o ?? ""];
      }),
    ),
  };
  if (svc.memLimit !== undefined) hostConfig.Memory = svc.memLimit;
  if (svc.memReservation !== undefined) hostConfig.MemoryReservation = svc.memReservation;
  if (svc.nanoCpus !== undefined) hostConfig.NanoCpus = svc.nanoCpus;
  if (svc.shmSize !== undefined) hostConfig.ShmSize = svc.shmSize;
  if (svc.init !== undefined) hostConfig.Init = svc.init;
  if (svc.readOnly !== undefined) hostConfig.ReadonlyRootfs = svc.readOnly;
  if (svc.privileged !== undefined) hostConfig.Privileged = svc.privileged;
  if (svc.logging)
    hostConfig.LogConfig = { Type: svc.logging.driver ?? "json-file", Config: svc.logging.options };

  const options: Dockerode.ContainerCreateOptions = {
    name,
    Image: svc.image,
    Labels: containerLabels(project, svc, number, id),
    Env: Object.entries(svc.environment).map(([k, v]) => `${k}=${v}`),
    ExposedPorts: exposed,
    HostConfig: hostConfig,
  };
  if (svc.command) options.Cmd = svc.command;
  if (svc.entrypoint) options.Entrypoint = svc.entrypoint;
  if (svc.hostname) options.Hostname = svc.hostname;
  if (svc.domainname) options.Domainname = svc.domainname;
  if (svc.user) options.User = svc.user;
  if (svc.workingDir) options.WorkingDir = svc.workingDir;
  if (svc.stopSignal) options.StopSignal = svc.stopSignal;
  if (svc.stopGracePeriod !== undefined) options.StopTimeout = svc.stopGracePeriod;
  if (svc.tty !== undefined) options.Tty = svc.tty;
  if (svc.stdinOpen !== undefined) options.OpenStdin = svc.stdinOpen;
  if (svc.healthcheck === null) options.Healthcheck = { Test: ["NONE"] };
  else if (svc.healthcheck) {
    const hc = svc.healthcheck;
    const h: Dockerode.HealthConfig = { Test: hc.test };
    if (hc.interval !== undefined) h.Interval = hc.interval;
    if (hc.timeout !== undefined) h.Timeout = hc.timeout;
    if (hc.retries !== undefined) h.Retries = hc.retries;
    if (hc.startPeriod !== undefined) h.StartPeriod = hc.startPeriod;
    // start_interval needs Engine API 1.44 (Docker 25); older engines reject unknown fields.
    if (hc.startInterval !== undefined && apiAtLeast(engine.apiVersion, "1.44")) {
      (h as Dockerode.HealthConfig & { StartInterval?: number }).StartInterval = hc.startInterval;
    }
    options.Healthcheck = h;
  }
  if (first && !svc.networkMode) {
    options.NetworkingConfig = { EndpointsConfig: { [netName(first)]: endpoint(project, svc, first) } };
  }
  const extraNetworks = svc.networkMode
    ? []
    : networks.slice(1).map((key) => ({ network: netName(key), endpoint: endpoint(project, svc, key) }));
  return { name, options, extraNetworks };
}

/**
 * The resolved Compose model (project.ts's ComposeProject, what `stack up` runs) written back in
 * the Compose file format, as `docker compose config` prints it: one file, every override merged,
 * variables interpolated, paths absolute, defaults filled (restart, dockerfile, depends_on
 * conditions, networks, engine-level names), short forms expanded (ports, volumes, depends_on,
 * command). Keys in a fixed order, services/networks/volumes sorted by name, empty values left out:
 * the same model prints the same text. Attributes `stack up` ignores (it warns about them) are not
 * in the model, so not here either.
 */
import type { PortLong, VolumeLong } from "./normalize.js";
import type {
  ComposeProject,
  HealthcheckConfig,
  NetworkConfig,
  ServiceConfig,
  VolumeConfig,
} from "./project.js";

type Obj = Record<string, unknown>;

/** Nanoseconds as Go's time.Duration prints them (`1m30s`, `1h0m5s`, `500ms`, `0s`), the form Compose prints. */
export function formatDuration(ns: number): string {
  const n = Math.round(ns);
  const num = (x: number) => String(Number(x.toFixed(9)));
  if (n === 0) return "0s";
  if (n < 1e3) return `${n}ns`;
  if (n < 1e6) return `${num(n / 1e3)}us`;
  if (n < 1e9) return `${num(n / 1e6)}ms`;
  const h = Math.floor(n / 3600e9);
  const m = Math.floor((n - h * 3600e9) / 60e9);
  const s = (n - h * 3600e9 - m * 60e9) / 1e9;
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${num(s)}s`;
}

/** Drops undefined values, empty arrays and empty objects (not false, 0 or ""). */
function compact(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

const sortedMap = <T>(m: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function healthcheck(h: HealthcheckConfig | null | undefined): Obj | undefined {
  if (h === undefined) return undefined;
  if (h === null) return { disable: true };
  return compact({
    test: h.test,
    interval: h.interval === undefined ? undefined : formatDuration(h.interval),
    timeout: h.timeout === undefined ? undefined : formatDuration(h.timeout),
    retries: h.retries,
    start_period: h.startPeriod === undefined ? undefined : formatDuration(h.startPeriod),
    start_interval: h.startInterval === undefined ? undefined : formatDuration(h.startInterval),
  });
}

function port(p: PortLong): Obj {
  return compact({ ...p });
}

function volume(v: VolumeLong): Obj {
  return compact({ ...v });
}

function service(s: ServiceConfig): Obj {
  return compact({
    image: s.image,
    build: s.build
      ? compact({
          context: s.build.context,
          dockerfile: s.build.dockerfile,
          args: sortedMap(s.build.args),
          target: s.build.target,
          labels: sortedMap(s.build.labels),
        })
      : undefined,
    pull_policy: s.pullPolicy,
    profiles: s.profiles,
    entrypoint: s.entrypoint,
    command: s.command,
    environment: sortedMap(s.environment),
    labels: sortedMap(s.labels),
    container_name: s.containerName,
    hostname: s.hostname,
    domainname: s.domainname,
    user: s.user,
    working_dir: s.workingDir,
    depends_on: sortedMap(
      Object.fromEntries(
        Object.entries(s.dependsOn).map(([dep, d]) => [
          dep,
          { condition: d.condition, required: d.required, restart: d.restart },
        ]),
      ),
    ),
    healthcheck: healthcheck(s.healthcheck),
    restart: s.restart,
    deploy: { replicas: s.replicas },
    ports: s.ports.map(port),
    expose: s.expose,
    volumes: s.volumes.map(volume),
    tmpfs: s.tmpfs,
    network_mode: s.networkMode,
    networks: sortedMap(
      Object.fromEntries(
        Object.entries(s.networks).map(([name, n]) => [
          name,
          compact({ aliases: n.aliases, ipv4_address: n.ipv4Address, priority: n.priority || undefined }),
        ]),
      ),
    ),
    extra_hosts: sortedMap(s.extraHosts),
    dns: s.dns,
    dns_search: s.dnsSearch,
    mem_limit: s.memLimit,
    mem_reservation: s.memReservation,
    cpus: s.nanoCpus === undefined ? undefined : s.nanoCpus / 1e9,
    shm_size: s.shmSize,
    ulimits: sortedMap(s.ulimits),
    sysctls: sortedMap(s.sysctls),
    cap_add: s.capAdd,
    cap_drop: s.capDrop,
    security_opt: s.securityOpt,
    init: s.init,
    read_only: s.readOnly,
    privileged: s.privileged,
    tty: s.tty,
    stdin_open: s.stdinOpen,
    stop_signal: s.stopSignal,
    stop_grace_period: s.stopGracePeriod === undefined ? undefined : formatDuration(s.stopGracePeriod * 1e9),
    logging: s.logging
      ? compact({ driver: s.logging.driver, options: sortedMap(s.logging.options) })
      : undefined,
  });
}

function network(n: NetworkConfig): Obj {
  return compact({
    name: n.name,
    external: n.external || undefined,
    driver: n.driver,
    driver_opts: sortedMap(n.driverOpts),
    internal: n.internal || undefined,
    attachable: n.attachable || undefined,
    enable_ipv6: n.enableIpv6 || undefined,
    ipam: n.ipam ? compact({ driver: n.ipam.driver, config: n.ipam.config }) : undefined,
    labels: sortedMap(n.labels),
  });
}

function volumeConfig(v: VolumeConfig): Obj {
  return compact({
    name: v.name,
    external: v.external || undefined,
    driver: v.driver,
    driver_opts: sortedMap(v.driverOpts),
    labels: sortedMap(v.labels),
  });
}

/** The model as a Compose file (a plain object, ready for YAML or JSON). */
export function composeModelFile(project: ComposeProject): Obj {
  const map = <T>(m: Record<string, T>, f: (v: T) => Obj) =>
    Object.fromEntries(Object.entries(sortedMap(m)).map(([k, v]) => [k, f(v)]));
  return compact({
    name: project.name,
    services: map(project.services, service),
    networks: map(project.networks, network),
    volumes: map(project.volumes, volumeConfig),
  });
}

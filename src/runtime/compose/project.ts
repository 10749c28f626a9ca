/**
 * The Compose application model `stack up` runs: compose.yaml (+ its override file) read,
 * interpolated from the stack's .env and the process environment, normalized, merged as Compose
 * merges, filtered by profiles, and resolved into typed services, networks and volumes with
 * absolute paths.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { GatestackError } from "../../errors.js";
import { closest } from "../../stack/did-you-mean.js";
import { parseEnvFile } from "../../stack/env-file.js";
import { interpolateTree, isPlainObject } from "./interpolate.js";
import { mergeComposeTrees, resolveMarkers } from "./merge.js";
import { ComposeModelError, normalizeFile, type PortLong, type VolumeLong } from "./normalize.js";
import { readComposeYaml } from "./read-yaml.js";
import { splitShellWords } from "./shell-words.js";
import { parseBytes, parseDuration, toBool, toInt } from "./units.js";

export type DependencyCondition = "service_started" | "service_healthy" | "service_completed_successfully";

export interface BuildConfig {
  /** Absolute build context directory. */
  context: string;
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
}

export interface HealthcheckConfig {
  test: string[];
  /** Nanoseconds, as the Engine API takes them. */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export interface ServiceNetworkConfig {
  aliases: string[];
  ipv4Address?: string;
  priority: number;
}

export interface ServiceConfig {
  name: string;
  /** Image to run: `image:` or, for a build without one, `<project>-<service>`. */
  image: string;
  build?: BuildConfig;
  pullPolicy?: string;
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  labels: Record<string, string>;
  ports: PortLong[];
  expose: string[];
  volumes: VolumeLong[];
  tmpfs: string[];
  /** Keys are network names as written in the file (resolved through project.networks). */
  networks: Record<string, ServiceNetworkConfig>;
  networkMode?: string;
  dependsOn: Record<string, { condition: DependencyCondition; required: boolean; restart: boolean }>;
  /** `null` = disabled (`disable: true` / test NONE); undefined = the image's own. */
  healthcheck?: HealthcheckConfig | null;
  restart: string;
  replicas: number;
  profiles: string[];
  containerName?: string;
  hostname?: string;
  domainname?: string;
  workingDir?: string;
  user?: string;
  stopSignal?: string;
  /** Seconds. */
  stopGracePeriod?: number;
  memLimit?: number;
  memReservation?: number;
  nanoCpus?: number;
  shmSize?: number;
  init?: boolean;
  readOnly?: boolean;
  privileged?: boolean;
  tty?: boolean;
  stdinOpen?: boolean;
  extraHosts: Record<string, string>;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  dns: string[];
  dnsSearch: string[];
  sysctls: Record<string, string>;
  ulimits: Record<string, { soft: number; hard: number }>;
  logging?: { driver?: string; options: Record<string, string> };
}

export interface NetworkConfig {
  /** Engine-level name: `name:` or `<project>_<key>`. */
  name: string;
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  internal: boolean;
  attachable: boolean;
  enableIpv6: boolean;
  labels: Record<string, string>;
  ipam?: { driver?: string; config: Array<Record<string, string>> };
}

export interface VolumeConfig {
  name: string;
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
}

export interface ComposeProject {
  name: string;
  /** Directory of the first compose file; relative paths resolve against it. */
  workingDir: string;
  /** Absolute paths of the files read, in merge order. */
  configFiles: string[];
  services: Record<string, ServiceConfig>;
  /** Services defined but not enabled by the active profiles. */
  disabledServices: Record<string, string[]>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  activeProfiles: string[];
  /** Every profile a service of the files names (enabled or not), sorted. */
  definedProfiles: string[];
  /** Things worth telling the user (unset variables, ignored attributes). */
  warnings: string[];
}

export interface LoadComposeOptions {
  /** Stack directory holding compose.yaml. */
  dir: string;
  /** Project name (stack.yaml `name`); a top-level `name:` in the file wins, as in Compose. */
  projectName: string;
  /** Variables from the stack's .env; the process environment overrides them (Compose precedence). */
  dotenv?: Record<string, string>;
  processEnv?: Record<string, string | undefined>;
  /**
   * Active profiles, each one a profile the files define or `*` (every profile, as Compose; `all` too,
   * unless a file defines a profile of that name). COMPOSE_PROFILES adds to them.
   */
  profiles?: string[];
  /**
   * "refuse" (the default, for profiles a user typed): a profile no file defines is a usage error.
   * "ignore": the caller asks for profiles that may be absent (an addon that is off defines none).
   */
  unknownProfiles?: "refuse" | "ignore";
  /** Services named on the command line: enabled whatever their profiles, as Compose does. */
  enable?: string[];
  /** Files to read instead of compose.yaml + its override file (relative to dir). */
  files?: string[];
}

export const COMPOSE_FILE = "compose.yaml";
/** The override files Compose looks for beside the compose file, in its order of preference (the first found is read). */
export const OVERRIDE_FILES = [
  "compose.override.yml",
  "compose.override.yaml",
  "docker-compose.override.yml",
  "docker-compose.override.yaml",
];

/** compose.yaml and the first override file present in `dir`, as Compose picks them (with a warning when several exist). */
export function defaultComposeFiles(dir: string): { files: string[]; warnings: string[] } {
  const overrides = OVERRIDE_FILES.filter((f) => existsSync(path.join(dir, f)));
  const warnings =
    overrides.length > 1
      ? [`found several override files (${overrides.join(", ")}): reading ${overrides[0]}, as Compose does`]
      : [];
  return { files: [COMPOSE_FILE, ...overrides.slice(0, 1)], warnings };
}

const SUPPORTED_SERVICE_KEYS = new Set([
  "image",
  "build",
  "pull_policy",
  "command",
  "entrypoint",
  "environment",
  "env_file",
  "labels",
  "ports",
  "expose",
  "volumes",
  "tmpfs",
  "networks",
  "network_mode",
  "depends_on",
  "healthcheck",
  "restart",
  "deploy",
  "scale",
  "profiles",
  "container_name",
  "hostname",
  "domainname",
  "working_dir",
  "user",
  "stop_signal",
  "stop_grace_period",
  "mem_limit",
  "mem_reservation",
  "cpus",
  "shm_size",
  "init",
  "read_only",
  "privileged",
  "tty",
  "stdin_open",
  "extra_hosts",
  "cap_add",
  "cap_drop",
  "security_opt",
  "dns",
  "dns_search",
  "sysctls",
  "ulimits",
  "logging",
  "platform",
]);

export async function loadComposeProject(opts: LoadComposeOptions): Promise<ComposeProject> {
  const dir = path.resolve(opts.dir);
  const found = opts.files ? { files: opts.files, warnings: [] } : defaultComposeFiles(dir);
  const names = found.files;
  const processEnv = opts.processEnv ?? process.env;
  const lookup = (name: string): string | undefined => processEnv[name] ?? opts.dotenv?.[name];
  const warnings: string[] = [...found.warnings];
  let merged: Record<string, unknown> = {};
  for (const name of names) {
    const file = path.resolve(dir, name);
    const raw = await readComposeYaml(file, name);
    const { value, unset } = interpolateTree(raw, lookup);
    for (const v of unset)
      warnings.push(`${name}: the ${v} variable is not set, defaulting to a blank string`);
    merged = mergeComposeTrees(merged, normalizeFile(value, name));
  }
  const tree = resolveMarkers(merged);
  const projectName = typeof tree.name === "string" && tree.name ? tree.name : opts.projectName;
  const profiles = new Set(opts.profiles ?? []);
  for (const p of (processEnv.COMPOSE_PROFILES ?? "").split(",")) if (p.trim()) profiles.add(p.trim());
  const ctx: BuildCtx = { dir, projectName, lookup, warnings };

  const servicesTree = isPlainObject(tree.services) ? tree.services : {};
  const all: ServiceConfig[] = [];
  for (const [name, body] of Object.entries(servicesTree))
    all.push(await buildService(name, isPlainObject(body) ? body : {}, ctx));
  if (all.length === 0) throw new ComposeModelError("no services defined", `${names[0]}: services`);
  const definedProfiles = [...new Set(all.flatMap((s) => s.profiles))].sort();
  if (opts.unknownProfiles !== "ignore")
    checkProfiles(opts.profiles ?? [], definedProfiles, names[0] as string);
  for (const name of opts.enable ?? []) {
    const svc = all.find((s) => s.name === name);
    if (!svc)
      throw unknownService(
        name,
        all.map((s) => s.name),
        names[0] as string,
      );
    // As compose-go's WithServicesEnabled: naming a service activates its profiles.
    for (const p of svc.profiles) profiles.add(p);
  }
  const everything = profiles.has("*") || (profiles.has("all") && !definedProfiles.includes("all"));
  const services: Record<string, ServiceConfig> = {};
  const disabledServices: Record<string, string[]> = {};
  for (const svc of all) {
    const enabled = svc.profiles.length === 0 || everything || svc.profiles.some((p) => profiles.has(p));
    if (enabled) services[svc.name] = svc;
    else disabledServices[svc.name] = svc.profiles;
  }
  checkDependencies(services, disabledServices, names[0] as string);

  const networks = buildNetworks(tree.networks, services, projectName, names[0] as string);
  const volumes = buildVolumes(tree.volumes, services, projectName, names[0] as string);
  return {
    name: projectName,
    workingDir: dir,
    configFiles: names.map((n) => path.resolve(dir, n)),
    services,
    disabledServices,
    networks,
    volumes,
    activeProfiles: [...profiles].sort(),
    definedProfiles,
    warnings,
  };
}

/** A profile no file defines is a usage error naming the ones that exist (`*` is every profile). */
function checkProfiles(asked: string[], defined: string[], file: string): void {
  for (const p of asked) {
    if (p === "*" || p === "all" || defined.includes(p)) continue;
    const hint = closest(p, defined);
    throw new GatestackError(
      "E_USAGE",
      `no service of the compose files has profile ${p} (defined: ${defined.length ? defined.join(", ") : "none"}; * selects every profile)`,
      {
        exitCode: 2,
        place: `--profile ${p}`,
        hint: hint ? `did you mean --profile ${hint}?` : `see ${file}: services.*.profiles`,
      },
    );
  }
}

/** A service name no file defines: a usage error with the closest match. */
export function unknownService(name: string, known: string[], file: string): GatestackError {
  const hint = closest(name, known);
  return new GatestackError("E_USAGE", `no such service: ${name}`, {
    exitCode: 2,
    place: file,
    hint: hint ? `did you mean ${hint}? (services: ${known.join(", ")})` : `services: ${known.join(", ")}`,
  });
}

interface BuildCtx {
  dir: string;
  projectName: string;
  lookup: (name: string) => string | undefined;
  warnings: string[];
}

type Tree = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

function strList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function strMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isPlainObject(value))
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = String(v);
  return out;
}

function commandOf(value: unknown, where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String);
  try {
    return splitShellWords(String(value));
  } catch (err) {
    throw new ComposeModelError((err as Error).message, where);
  }
}

function resolveHostPath(p: string, dir: string): string {
  if (p === "~" || p.startsWith("~/")) return path.join(homedir(), p.slice(1));
  return path.resolve(dir, p);
}

async function buildService(name: string, s: Tree, ctx: BuildCtx): Promise<ServiceConfig> {
  const where = `services.${name}`;
  const wrap = <T>(key: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ComposeModelError) throw err;
      throw new ComposeModelError((err as Error).message, `${where}.${key}`);
    }
  };
  for (const key of Object.keys(s)) {
    if (!SUPPORTED_SERVICE_KEYS.has(key) && !key.startsWith("x-")) {
      ctx.warnings.push(
        `${where}.${key} is not supported by stack up and is ignored (docker compose can run it)`,
      );
    }
  }

  let build: BuildConfig | undefined;
  if (isPlainObject(s.build)) {
    const context = resolveHostPath(str(s.build.context) ?? ".", ctx.dir);
    build = {
      context,
      dockerfile: str(s.build.dockerfile) ?? "Dockerfile",
      args: strMap(s.build.args),
      labels: strMap(s.build.labels),
    };
    const target = str(s.build.target);
    if (target) build.target = target;
  }
  const image = str(s.image) ?? (build ? `${ctx.projectName}-${name}` : undefined);
  if (!image) throw new ComposeModelError("needs an image or a build section", where);

  // env_file first, then environment (environment wins); bare KEY takes the value from the environment.
  const environment: Record<string, string> = {};
  for (const f of strList(s.env_file)) {
    const file = resolveHostPath(f, ctx.dir);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch {
      throw new ComposeModelError(`env file ${file} not found`, `${where}.env_file`);
    }
    // As Compose: the project's variables first, then the service's environment, then earlier env files.
    const declared = isPlainObject(s.environment) ? s.environment : {};
    const scope = (name: string): string | undefined => {
      const own = declared[name];
      return (
        ctx.lookup(name) ?? (own === null || own === undefined ? undefined : String(own)) ?? environment[name]
      );
    };
    Object.assign(environment, parseEnvFile(text, f, { environment: scope }));
  }
  if (isPlainObject(s.environment)) {
    for (const [k, v] of Object.entries(s.environment)) {
      if (v === null || v === undefined) {
        const fromEnv = ctx.lookup(k);
        if (fromEnv !== undefined) environment[k] = fromEnv;
      } else {
        environment[k] = String(v);
      }
    }
  }

  const networks: Record<string, ServiceNetworkConfig> = {};
  const networkMode = str(s.network_mode);
  if (isPlainObject(s.networks)) {
    for (const [net, cfg] of Object.entries(s.networks)) {
      const c = isPlainObject(cfg) ? cfg : {};
      const n: ServiceNetworkConfig = {
        aliases: strList(c.aliases),
        priority: c.priority === undefined ? 0 : toInt(c.priority, `${where}.networks.${net}.priority`),
      };
      const ip = str(c.ipv4_address);
      if (ip) n.ipv4Address = ip;
      networks[net] = n;
    }
  }
  if (Object.keys(networks).length === 0 && !networkMode) networks.default = { aliases: [], priority: 0 };

  const dependsOn: ServiceConfig["dependsOn"] = {};
  if (isPlainObject(s.depends_on)) {
    for (const [dep, cfg] of Object.entries(s.depends_on)) {
      const c = isPlainObject(cfg) ? cfg : {};
      dependsOn[dep] = {
        condition: (str(c.condition) ?? "service_started") as DependencyCondition,
        required: c.required === undefined ? true : toBool(c.required, `${where}.depends_on.${dep}.required`),
        restart: c.restart === undefined ? false : toBool(c.restart, `${where}.depends_on.${dep}.restart`),
      };
    }
  }

  const deploy = isPlainObject(s.deploy) ? s.deploy : {};
  let replicas = 1;
  if (deploy.replicas !== undefined)
    replicas = wrap("deploy.replicas", () => toInt(deploy.replicas, "replicas"));
  if (s.scale !== undefined) replicas = wrap("scale", () => toInt(s.scale, "scale"));
  if (replicas < 0) throw new ComposeModelError("replicas must be 0 or more", `${where}.deploy.replicas`);
  const limits =
    isPlainObject(deploy.resources) && isPlainObject(deploy.resources.limits) ? deploy.resources.limits : {};
  const reservations =
    isPlainObject(deploy.resources) && isPlainObject(deploy.resources.reservations)
      ? deploy.resources.reservations
      : {};

  const volumes = (Array.isArray(s.volumes) ? (s.volumes as VolumeLong[]) : []).map((v) => {
    if (v.type === "bind" && v.source) return { ...v, source: resolveHostPath(v.source, ctx.dir) };
    return v;
  });

  const svc: ServiceConfig = {
    name,
    image,
    environment,
    labels: strMap(s.labels),
    ports: Array.isArray(s.ports) ? (s.ports as PortLong[]) : [],
    expose: strList(s.expose),
    volumes,
    tmpfs: strList(s.tmpfs),
    networks,
    dependsOn,
    restart: str(s.restart) ?? "no",
    replicas,
    profiles: strList(s.profiles),
    extraHosts: strMap(s.extra_hosts),
    capAdd: strList(s.cap_add),
    capDrop: strList(s.cap_drop),
    securityOpt: strList(s.security_opt),
    dns: strList(s.dns),
    dnsSearch: strList(s.dns_search),
    sysctls: strMap(s.sysctls),
    ulimits: wrap("ulimits", () => buildUlimits(s.ulimits)),
  };
  if (build) svc.build = build;
  const opt = <K extends keyof ServiceConfig>(key: K, value: ServiceConfig[K] | undefined) => {
    if (value !== undefined) svc[key] = value;
  };
  opt("pullPolicy", str(s.pull_policy));
  opt("command", commandOf(s.command, `${where}.command`));
  opt("entrypoint", commandOf(s.entrypoint, `${where}.entrypoint`));
  opt("networkMode", networkMode);
  opt(
    "healthcheck",
    wrap("healthcheck", () => buildHealthcheck(s.healthcheck)),
  );
  opt("containerName", str(s.container_name));
  opt("hostname", str(s.hostname));
  opt("domainname", str(s.domainname));
  opt("workingDir", str(s.working_dir));
  opt("user", str(s.user));
  opt("stopSignal", str(s.stop_signal));
  if (s.stop_grace_period !== undefined) {
    svc.stopGracePeriod = wrap("stop_grace_period", () =>
      Math.ceil(parseDuration(s.stop_grace_period as string) / 1e9),
    );
  }
  const mem = limits.memory ?? s.mem_limit;
  if (mem !== undefined) svc.memLimit = wrap("mem_limit", () => parseBytes(mem as string));
  const memRes = reservations.memory ?? s.mem_reservation;
  if (memRes !== undefined) svc.memReservation = wrap("mem_reservation", () => parseBytes(memRes as string));
  const cpus = limits.cpus ?? s.cpus;
  if (cpus !== undefined) svc.nanoCpus = Math.round(Number(cpus) * 1e9);
  if (s.shm_size !== undefined) svc.shmSize = wrap("shm_size", () => parseBytes(s.shm_size as string));
  for (const [key, prop] of [
    ["init", "init"],
    ["read_only", "readOnly"],
    ["privileged", "privileged"],
    ["tty", "tty"],
    ["stdin_open", "stdinOpen"],
  ] as const) {
    if (s[key] !== undefined) svc[prop] = wrap(key, () => toBool(s[key], key));
  }
  if (isPlainObject(s.logging)) {
    const logging: NonNullable<ServiceConfig["logging"]> = { options: strMap(s.logging.options) };
    const driver = str(s.logging.driver);
    if (driver) logging.driver = driver;
    svc.logging = logging;
  }
  if (svc.containerName && replicas > 1) {
    throw new ComposeModelError(
      "container_name cannot be used with more than one replica",
      `${where}.container_name`,
    );
  }
  return svc;
}

function buildHealthcheck(value: unknown): HealthcheckConfig | null | undefined {
  if (!isPlainObject(value)) return undefined;
  if (value.disable === true || value.disable === "true") return null;
  const test = Array.isArray(value.test) ? value.test.map(String) : [];
  if (test[0] === "NONE") return null;
  const hc: HealthcheckConfig = { test };
  if (value.interval !== undefined) hc.interval = parseDuration(value.interval as string);
  if (value.timeout !== undefined) hc.timeout = parseDuration(value.timeout as string);
  if (value.start_period !== undefined) hc.startPeriod = parseDuration(value.start_period as string);
  if (value.start_interval !== undefined) hc.startInterval = parseDuration(value.start_interval as string);
  if (value.retries !== undefined) hc.retries = toInt(value.retries, "healthcheck.retries");
  return hc;
}

function buildUlimits(value: unknown): ServiceConfig["ulimits"] {
  const out: ServiceConfig["ulimits"] = {};
  if (!isPlainObject(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (isPlainObject(v)) out[k] = { soft: toInt(v.soft, `${k}.soft`), hard: toInt(v.hard, `${k}.hard`) };
    else {
      const n = toInt(v, k);
      out[k] = { soft: n, hard: n };
    }
  }
  return out;
}

function checkDependencies(
  services: Record<string, ServiceConfig>,
  disabled: Record<string, string[]>,
  file: string,
): void {
  for (const svc of Object.values(services)) {
    for (const [dep, cfg] of Object.entries(svc.dependsOn)) {
      if (services[dep]) continue;
      if (!cfg.required) {
        delete svc.dependsOn[dep];
        continue;
      }
      const profiles = disabled[dep];
      if (profiles) {
        throw new ComposeModelError(
          `service ${svc.name} depends on ${dep}, which is only enabled with profile ${profiles.join(" or ")}`,
          `${file}: services.${svc.name}.depends_on`,
        );
      }
      throw new ComposeModelError(
        `service ${svc.name} depends on undefined service ${dep}`,
        `${file}: services.${svc.name}.depends_on`,
      );
    }
  }
  // Cycles would deadlock the start order.
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      throw new ComposeModelError(
        `dependency cycle: ${[...trail, name].join(" → ")}`,
        `${file}: services.${name}.depends_on`,
      );
    }
    state.set(name, "visiting");
    for (const dep of Object.keys(services[name]?.dependsOn ?? {})) visit(dep, [...trail, name]);
    state.set(name, "done");
  };
  for (const name of Object.keys(services)) visit(name, []);
}

function buildNetworks(
  value: unknown,
  services: Record<string, ServiceConfig>,
  project: string,
  file: string,
): Record<string, NetworkConfig> {
  const declared = isPlainObject(value) ? value : {};
  const out: Record<string, NetworkConfig> = {};
  const used = new Set(Object.values(services).flatMap((s) => Object.keys(s.networks)));
  for (const key of new Set([...Object.keys(declared), ...used])) {
    const raw = declared[key];
    if (raw === undefined && key !== "default") {
      const user = Object.values(services).find((s) => key in s.networks)?.name;
      throw new ComposeModelError(
        `service ${user} uses undefined network ${key}`,
        `${file}: services.${user}.networks`,
      );
    }
    if (!used.has(key)) continue; // Compose creates only the networks services use.
    const n = isPlainObject(raw) ? raw : {};
    const external = n.external === true || isPlainObject(n.external);
    const cfg: NetworkConfig = {
      name: str(n.name) ?? (external ? key : `${project}_${key}`),
      external,
      driverOpts: strMap(n.driver_opts),
      internal: n.internal === true,
      attachable: n.attachable === true,
      enableIpv6: n.enable_ipv6 === true,
      labels: strMap(n.labels),
    };
    const driver = str(n.driver);
    if (driver) cfg.driver = driver;
    if (isPlainObject(n.ipam)) {
      const ipam: NonNullable<NetworkConfig["ipam"]> = {
        config: Array.isArray(n.ipam.config) ? n.ipam.config.map((c) => strMap(c)) : [],
      };
      const ipamDriver = str(n.ipam.driver);
      if (ipamDriver) ipam.driver = ipamDriver;
      cfg.ipam = ipam;
    }
    out[key] = cfg;
  }
  return out;
}

function buildVolumes(
  value: unknown,
  services: Record<string, ServiceConfig>,
  project: string,
  file: string,
): Record<string, VolumeConfig> {
  const declared = isPlainObject(value) ? value : {};
  const out: Record<string, VolumeConfig> = {};
  for (const [key, raw] of Object.entries(declared)) {
    const v = isPlainObject(raw) ? raw : {};
    const external = v.external === true || isPlainObject(v.external);
    const cfg: VolumeConfig = {
      name: str(v.name) ?? (external ? key : `${project}_${key}`),
      external,
      driverOpts: strMap(v.driver_opts),
      labels: strMap(v.labels),
    };
    const driver = str(v.driver);
    if (driver) cfg.driver = driver;
    out[key] = cfg;
  }
  for (const svc of Object.values(services)) {
    for (const [i, m] of svc.volumes.entries()) {
      if (m.type === "volume" && m.source && !out[m.source]) {
        throw new ComposeModelError(
          `named volume '${m.source}' is not declared under the top-level volumes:`,
          `${file}: services.${svc.name}.volumes[${i}]`,
        );
      }
    }
  }
  return out;
}

import { createHash } from "node:crypto";
import { posix } from "node:path";
import { GatestackError } from "../errors.js";
import { TOOLS_BASICAUTH_HASH, TOOLS_BASICAUTH_USER } from "../stack/env-vars.js";
import type { StackConfig } from "../stack/schema.js";
import { GATESTACK_VERSION } from "../version.js";
import { CADDYFILE_PATH, renderCaddyfile } from "./caddyfile.js";
import { buildCompose } from "./compose.js";
import type { ComposeService } from "./compose-model.js";
import { GATEWAY_CONFIG_FILE, renderGatewayConfig } from "./gateway.js";
import { PROMETHEUS_CONFIG_PATH, renderPrometheusConfig } from "./prometheus.js";
import { toYaml } from "./serialize.js";
import { refuseUnsupportedDatabase, SWARM_DIR } from "./targets.js";
import { enabledAddons, PORTS } from "./topology.js";
import type { Artifact } from "./types.js";

export { SWARM_DIR };
export const SWARM_STACK_FILE = `${SWARM_DIR}/stack.yml`;

/**
 * Variables `docker stack deploy` interpolates into the stack file; `stack deploy` sets them. The
 * image prefix is `<registry>/` (empty: images stay local to each node, fine on one node); each
 * secret's name carries a version that changes with its value (Swarm secrets are immutable).
 */
export const IMAGE_PREFIX_VAR = "GATESTACK_IMAGE_PREFIX";
export function secretNameVar(secret: string): string {
  return `GATESTACK_SECRET_${secret}`;
}

/** A Swarm secret the stack uses and the .env variables its value is made of. */
export interface SwarmSecret {
  /** key in the stack file and file name under /run/secrets */
  name: string;
  /** the .env variables; the value is theirs joined by a space (one variable: its value) */
  from: string[];
}

/** The secret Caddy imports into each basicauth block: "<user> <base64 bcrypt hash>". */
export const TOOLS_BASICAUTH_SECRET: SwarmSecret = {
  name: "TOOLS_BASICAUTH",
  from: [TOOLS_BASICAUTH_USER, TOOLS_BASICAUTH_HASH],
};

const SECRETS_DIR = "/run/secrets";
const CONFIG_NAME_MAX = 64;

/** Generated files the Swarm stack uses in place of the compose ones (addresses differ). */
const SWARM_VARIANTS: Readonly<Record<string, string>> = {
  [CADDYFILE_PATH]: `${SWARM_DIR}/Caddyfile`,
  [GATEWAY_CONFIG_FILE]: `${SWARM_DIR}/gateway.yaml`,
  [PROMETHEUS_CONFIG_PATH]: `${SWARM_DIR}/prometheus.yml`,
};

/** Services that keep state in a local volume: pinned to a manager, replaced stop-first. */
const STATEFUL = new Set(["prometheus", "grafana", "elasticsearch", "redis"]);

/** How a service reads a secret from a file instead of its environment variable. */
type SecretConvention = (envKey: string) => string | null;
const SECRET_CONVENTIONS: Readonly<Record<string, SecretConvention>> = {
  // `stack gateway serve`: NAME_FILE (src/cli/gateway-serve-options.ts withFileVariables)
  gateway: (key) => `${key}_FILE`,
  // Grafana's own convention: GF_<SECTION>_<KEY>__FILE
  grafana: (key) => `${key}__FILE`,
  // Caddy imports its basic-auth secret from a file (the Caddyfile's basicauth blocks)
  caddy: () => null,
  // compose-redis.ts: the container's shell reads REDIS_PASSWORD_FILE
  redis: (key) => `${key}_FILE`,
};

type Mode = "start-first" | "stop-first";

interface SwarmService {
  image: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: Array<{ target: number; published: number; protocol: "tcp"; mode: "host" }>;
  volumes?: string[];
  configs?: Array<{ source: string; target: string }>;
  secrets?: Array<{ source: string; target: string }>;
  networks: string[];
  healthcheck: ComposeService["healthcheck"];
  stop_grace_period?: string;
  deploy: {
    mode: "replicated" | "global";
    replicas?: number;
    endpoint_mode: "dnsrr";
    placement?: { constraints?: string[]; preferences?: Array<{ spread: string }> };
    update_config: { parallelism: 1; order: Mode; failure_action: "rollback"; monitor: string };
    rollback_config: { parallelism: 1; order: Mode };
    restart_policy: { condition: "any"; delay: string };
    labels: Record<string, string>;
  };
}

interface SwarmStackFile {
  version: "3.8";
  services: Record<string, SwarmService>;
  networks: Record<string, { driver: "overlay"; attachable: true }>;
  volumes: Record<string, Record<string, never>>;
  configs: Record<string, { name: string; file: string }>;
  secrets: Record<string, { external: true; name: string }>;
}

/** What the Swarm deployment leaves out, said once by `stack deploy` and in the stack file's head. */
export function swarmNotes(stack: StackConfig): string[] {
  const notes: string[] = [];
  if (enabledAddons(stack).jenkins)
    notes.push("Jenkins is not deployed to the swarm: it builds from the repository, so it runs beside it");
  if (stack.ports.bind !== "0.0.0.0" && stack.ports.bind !== "::")
    notes.push(
      `ports.bind ${stack.ports.bind} does not apply: Caddy publishes on every address of the manager (host mode)`,
    );
  const toolPorts = (["prometheus", "grafana", "elk", "jenkins"] as const).filter(
    (a) => stack.addons[a].port !== undefined,
  );
  if (toolPorts.length > 0)
    notes.push(`tool ports (${toolPorts.join(", ")}) are not published: the tools stay behind Caddy`);
  return notes;
}

/** The stack refuses a Swarm deployment (said before anything is rendered or deployed). */
function refuseUnsupported(stack: StackConfig): void {
  refuseUnsupportedDatabase(stack, "swarm");
  if (stack.gateway.engine === "kong") {
    throw new GatestackError(
      "E_USAGE",
      "stack deploy supports gateway.engine gatestack only: Kong's image reads credentials only from its environment, which a Swarm secret never is",
      { place: "gateway.engine", exitCode: 2 },
    );
  }
}

/**
 * deploy/swarm/: the stack file `docker stack deploy -c deploy/swarm/stack.yml <name>` takes
 * (docker/cli's compose v3.8 schema: no `name`, `profiles`, long-form `depends_on` or `build`),
 * and the Swarm variants of the Caddyfile, gateway.yaml and prometheus.yml (every replica found as
 * `tasks.<service>`: no virtual IPs, which need IPVS). Built from the compose model, so images,
 * commands, environment and healthchecks are the same facts:
 *  - every config file is a Swarm config whose name carries a hash of its content (configs are
 *    immutable: a changed file is a new config, and the services using it roll);
 *  - every `${VAR}` the compose environment interpolates is an external Swarm secret mounted under
 *    /run/secrets, read through the image's file convention (NAME_FILE, GF_…__FILE, a Caddyfile
 *    import); its name comes from a variable `stack deploy` sets — never a value in the file;
 *  - Caddy publishes in host mode on the managers (one task each), services resolve in DNS
 *    round-robin (`endpoint_mode: dnsrr`), replicas spread over nodes, stateful services stay on a
 *    manager with their volume, updates start the new task first (stop-first where a port or a
 *    volume forbids two) and roll back on failure.
 * `configFiles` are the compose-target artifacts (their content names the configs).
 */
export function planSwarm(stack: StackConfig, configFiles: readonly Artifact[]): Artifact[] {
  refuseUnsupported(stack);
  const variants: Artifact[] = [
    renderCaddyfile(stack, {
      path: SWARM_VARIANTS[CADDYFILE_PATH]!,
      gateway: { dynamic: { name: "tasks.gateway", port: PORTS.gatewayProxy } },
      basicauth: { importFile: `${SECRETS_DIR}/${TOOLS_BASICAUTH_SECRET.name}` },
    }),
    renderGatewayConfig(stack, { path: SWARM_VARIANTS[GATEWAY_CONFIG_FILE]!, appHost: (s) => `tasks.${s}` }),
    ...(enabledAddons(stack).prometheus
      ? [
          renderPrometheusConfig(stack, {
            path: SWARM_VARIANTS[PROMETHEUS_CONFIG_PATH]!,
            replicasOf: (s) => `tasks.${s}`,
            singleCaddy: false,
          }),
        ]
      : []),
  ];
  const files = new Map<string, string>();
  for (const a of [...configFiles, ...variants]) files.set(a.path, a.content);
  const stackFile = buildSwarmStack(stack, files);
  const head = swarmNotes(stack).map((n) => `# Note: ${n}.`);
  const content = toYaml(stackFile, { flowKeys: ["test"] });
  return [
    ...variants,
    { path: SWARM_STACK_FILE, content: head.length ? insertAfterHeader(content, head) : content },
  ];
}

/** The secrets a stack's Swarm deployment needs (what `stack deploy` creates from .env). */
export function swarmSecrets(stack: StackConfig): SwarmSecret[] {
  const byName = new Map<string, SwarmSecret>();
  for (const svc of Object.values(swarmComposeServices(stack))) {
    for (const secret of secretsOf(svc.name, svc.service)) byName.set(secret.name, secret);
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

function swarmComposeServices(stack: StackConfig): Array<{ name: string; service: ComposeService }> {
  return Object.entries(buildCompose(stack).services)
    .filter(([name]) => name !== "jenkins")
    .map(([name, service]) => ({ name, service }));
}

const INTERPOLATION = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

/** The secrets a compose service's environment asks for. */
function secretsOf(service: string, svc: ComposeService): SwarmSecret[] {
  const out: SwarmSecret[] = [];
  let basicauth = false;
  for (const value of Object.values(svc.environment ?? {})) {
    const m = INTERPOLATION.exec(value);
    if (m === null) continue;
    const variable = m[1]!;
    if (service === "caddy" && TOOLS_BASICAUTH_SECRET.from.includes(variable)) basicauth = true;
    else out.push({ name: variable, from: [variable] });
  }
  if (basicauth) out.push(TOOLS_BASICAUTH_SECRET);
  return out;
}

function buildSwarmStack(stack: StackConfig, files: ReadonlyMap<string, string>): SwarmStackFile {
  const compose = buildCompose(stack);
  const services: Record<string, SwarmService> = {};
  const configs: SwarmStackFile["configs"] = {};
  const secrets: SwarmStackFile["secrets"] = {};
  const usedVolumes = new Set<string>();

  for (const { name, service: svc } of swarmComposeServices(stack)) {
    const environment: Record<string, string> = {};
    const convention = SECRET_CONVENTIONS[name];
    for (const [key, value] of Object.entries(svc.environment ?? {})) {
      const m = INTERPOLATION.exec(value);
      if (m === null) {
        environment[key] = value;
        continue;
      }
      if (convention === undefined) {
        throw new GatestackError(
          "E_INTERNAL",
          `service ${name}: no way to give it ${m[1]} from a Swarm secret (environment ${key})`,
        );
      }
      const fileKey = convention(key);
      if (fileKey !== null) environment[fileKey] = `${SECRETS_DIR}/${m[1]}`;
    }
    const serviceSecrets = secretsOf(name, svc);
    for (const s of serviceSecrets) {
      secrets[s.name] = { external: true, name: `\${${secretNameVar(s.name)}:?stack deploy sets it}` };
    }

    const volumes: string[] = [];
    const serviceConfigs: Array<{ source: string; target: string }> = [];
    for (const v of svc.volumes ?? []) {
      if (typeof v !== "string") continue; // bind mounts of the host's files (Jenkins' history) have no Swarm form
      const [source = "", target = ""] = v.split(":");
      if (!source.startsWith("./")) {
        volumes.push(v);
        usedVolumes.add(source);
        continue;
      }
      for (const { path, target: file } of filesUnder(source.slice(2), target, files)) {
        const key = configKey(path);
        const chosen = SWARM_VARIANTS[path] ?? path;
        configs[key] = {
          name: configName(stack.name, key, files.get(chosen)!),
          file: posix.relative(SWARM_DIR, chosen),
        };
        serviceConfigs.push({ source: key, target: file });
      }
    }

    const stateful = STATEFUL.has(name);
    const edge = name === "caddy";
    const order: Mode = stateful || edge ? "stop-first" : "start-first";
    const built = svc.build !== undefined || name === "gateway";
    const out: SwarmService = {
      image: built ? `\${${IMAGE_PREFIX_VAR}:-}${svc.image}` : svc.image,
      ...(svc.command ? { command: svc.command } : {}),
      ...(Object.keys(environment).length > 0 ? { environment } : {}),
      ...(edge
        ? {
            ports: [
              {
                target: PORTS.caddyHttp,
                published: stack.ports.http,
                protocol: "tcp" as const,
                mode: "host" as const,
              },
              ...(svc.ports !== undefined && svc.ports.length > 1
                ? [
                    {
                      target: PORTS.caddyHttps,
                      published: stack.ports.https,
                      protocol: "tcp" as const,
                      mode: "host" as const,
                    },
                  ]
                : []),
            ],
          }
        : {}),
      ...(volumes.length > 0 ? { volumes } : {}),
      ...(serviceConfigs.length > 0 ? { configs: serviceConfigs } : {}),
      ...(serviceSecrets.length > 0
        ? { secrets: serviceSecrets.map((s) => ({ source: s.name, target: s.name })) }
        : {}),
      networks: svc.networks,
      healthcheck: svc.healthcheck,
      // the gateway drains in-flight requests for up to 10 s on SIGTERM
      ...(name === "gateway" ? { stop_grace_period: "15s" } : {}),
      deploy: {
        mode: edge ? "global" : "replicated",
        ...(edge ? {} : { replicas: stateful ? 1 : (svc.deploy?.replicas ?? 1) }),
        endpoint_mode: "dnsrr",
        placement:
          edge || stateful
            ? { constraints: ["node.role == manager"] }
            : { preferences: [{ spread: "node.id" }] },
        update_config: { parallelism: 1, order, failure_action: "rollback", monitor: "10s" },
        rollback_config: { parallelism: 1, order },
        restart_policy: { condition: "any", delay: "2s" },
        labels: { "dev.gatestack.version": GATESTACK_VERSION },
      },
    };
    services[name] = out;
  }

  return {
    version: "3.8",
    services,
    networks: Object.fromEntries(
      Object.keys(compose.networks).map((n) => [
        n,
        { driver: "overlay" as const, attachable: true as const },
      ]),
    ),
    volumes: Object.fromEntries(
      Object.keys(compose.volumes)
        .filter((v) => usedVolumes.has(v))
        .map((v) => [v, {}]),
    ),
    configs: sortedRecord(configs),
    secrets: sortedRecord(secrets),
  };
}

/** The files a compose bind mount of `source` (a file or a folder of the stack) carries, with their targets. */
function filesUnder(
  source: string,
  target: string,
  files: ReadonlyMap<string, string>,
): Array<{ path: string; target: string }> {
  if (files.has(source)) return [{ path: source, target }];
  const prefix = `${source.replace(/\/$/, "")}/`;
  const found = [...files.keys()]
    .filter((p) => p.startsWith(prefix))
    .sort()
    .map((p) => ({ path: p, target: posix.join(target, p.slice(prefix.length)) }));
  if (found.length === 0)
    throw new GatestackError("E_INTERNAL", `no generated file under ${source} for Swarm`);
  return found;
}

/** `config/grafana/provisioning/datasources/prometheus.yml` → `grafana_provisioning_datasources_prometheus_yml`. */
function configKey(path: string): string {
  return path
    .replace(/^config\//, "")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toLowerCase();
}

/** `<stack>_<content hash>_<key>`, at most 64 characters (Swarm's limit); the hash is never cut. */
function configName(stack: string, key: string, content: string): string {
  const hash = createHash("sha256").update(content).digest("hex").slice(0, 12);
  return `${stack}_${hash}_${key}`.slice(0, CONFIG_NAME_MAX);
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The notes go below the generated-file header line. */
function insertAfterHeader(content: string, lines: string[]): string {
  const end = content.indexOf("\n");
  return `${content.slice(0, end + 1)}#\n${lines.join("\n")}\n${content.slice(end + 1)}`;
}

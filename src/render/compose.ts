import { MIGRATIONS_SERVICE, POSTGRES_SERVICE, usesDatabase } from "../stack/database.js";
import {
  envVarsFor,
  GATEWAY_ADMIN_TOKEN,
  GRAFANA_ADMIN_PASSWORD,
  JENKINS_ADMIN_PASSWORD,
  TOOLS_BASICAUTH_HASH,
  TOOLS_BASICAUTH_USER,
} from "../stack/env-vars.js";
import { imageFor } from "../stack/images.js";
import type { AddonSettings, StackConfig } from "../stack/schema.js";
import { stackHasRedis } from "../stack/shared-state.js";
import { GATESTACK_VERSION } from "../version.js";
import { gatewayService } from "./compose-gateway.js";
import {
  type ComposeFile,
  type ComposeService,
  curl,
  fastCheck,
  healthy,
  slowCheck,
  wget,
} from "./compose-model.js";
import { migrationsService, POSTGRES_VOLUME, postgresService } from "./compose-postgres.js";
import { redisService } from "./compose-redis.js";
import { JENKINS_BUILD_CONTEXT, JENKINS_REPO_PATH, jenkinsBuildArgs } from "./jenkins.js";
import { toYaml } from "./serialize.js";
import {
  enabledAddons,
  envInterpolation,
  httpsEnabled,
  PORTS,
  publicPrefix,
  serviceSource,
  siteUrl,
  toolRoutes,
} from "./topology.js";
import type { Artifact } from "./types.js";

export const COMPOSE_PATH = "compose.yaml";

export { ADDON_PROFILES } from "./topology.js";

function hostPort(bind: string, host: number, container: number): string {
  const address = bind.includes(":") ? `[${bind}]` : bind;
  return `${address}:${host}:${container}`;
}

/** `127.0.0.1:<port>:<container port>` when stack.yaml asks to publish a tool port. */
function toolPorts(addon: AddonSettings, containerPort: number): { ports?: string[] } {
  return addon.port === undefined ? {} : { ports: [hostPort("127.0.0.1", addon.port, containerPort)] };
}

/**
 * compose.yaml. Networks: `edge` (caddy, gateway, tools) and `backend` (gateway, apps,
 * redis — when gateway replicas share state —, postgres and the gateway-migrations job in
 * database mode, prometheus). Only caddy publishes ports; tool ports only on 127.0.0.1 when asked.
 * Config folders are bind-mounted as directories (not single files) where the consumer
 * reloads them, because `stack render` replaces files by rename and a single-file bind
 * mount would keep showing the old inode.
 */
export function buildCompose(stack: StackConfig): ComposeFile {
  const addons = enabledAddons(stack);
  const services: Record<string, ComposeService> = {};
  const volumes: Record<string, Record<string, never>> = { caddy_data: {}, caddy_config: {} };
  const url = siteUrl(stack);

  const toolsBehindCaddy = toolRoutes(stack).length > 0;
  services.caddy = {
    image: imageFor(stack, "caddy"),
    restart: "unless-stopped",
    ...(toolsBehindCaddy
      ? {
          environment: {
            [TOOLS_BASICAUTH_USER]: envInterpolation(TOOLS_BASICAUTH_USER),
            [TOOLS_BASICAUTH_HASH]: envInterpolation(TOOLS_BASICAUTH_HASH),
          },
        }
      : {}),
    ports: [
      hostPort(stack.ports.bind, stack.ports.http, PORTS.caddyHttp),
      ...(httpsEnabled(stack) ? [hostPort(stack.ports.bind, stack.ports.https, PORTS.caddyHttps)] : []),
    ],
    volumes: ["./config/caddy:/etc/caddy:ro", "caddy_data:/data", "caddy_config:/config"],
    networks: ["edge"],
    depends_on: { gateway: healthy },
    healthcheck: fastCheck(wget(`http://127.0.0.1:${PORTS.caddyInternal}/healthz`)),
  };

  services.gateway = gatewayService(stack);

  for (const app of stack.services) {
    const environment: Record<string, string> = {
      ROOT_PATH: publicPrefix(app),
      PORT: String(app.port),
      ...app.env,
    };
    services[app.name] = {
      image: `${stack.name}-${app.name}:latest`,
      build: { context: `./${serviceSource(app)}`, args: { PYTHON_IMAGE: imageFor(stack, "python") } },
      restart: "unless-stopped",
      environment,
      networks: ["backend"],
      healthcheck: fastCheck([
        "CMD",
        "python3",
        "-c",
        `import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:${app.port}${app.health_path}', timeout=2); sys.exit(0)`,
      ]),
      deploy: { replicas: app.replicas },
    };
  }

  if (stackHasRedis(stack)) services.redis = redisService(stack);

  if (usesDatabase(stack)) {
    volumes[POSTGRES_VOLUME] = {};
    services[POSTGRES_SERVICE] = postgresService(stack);
    services[MIGRATIONS_SERVICE] = migrationsService(stack);
  }

  if (addons.prometheus) {
    volumes.prometheus_data = {};
    services.prometheus = {
      image: imageFor(stack, "prometheus"),
      profiles: ["monitoring"],
      restart: "unless-stopped",
      command: [
        "--config.file=/etc/prometheus/prometheus.yml",
        "--storage.tsdb.path=/prometheus",
        "--storage.tsdb.retention.time=15d",
        `--web.external-url=${url}/prometheus/`,
        "--web.route-prefix=/",
      ],
      ...toolPorts(stack.addons.prometheus, PORTS.prometheus),
      volumes: ["./config/prometheus:/etc/prometheus:ro", "prometheus_data:/prometheus"],
      networks: ["edge", "backend"],
      healthcheck: fastCheck(wget(`http://127.0.0.1:${PORTS.prometheus}/-/ready`)),
    };
  }

  if (addons.grafana) {
    volumes.grafana_data = {};
    services.grafana = {
      image: imageFor(stack, "grafana"),
      profiles: ["monitoring"],
      restart: "unless-stopped",
      environment: {
        GF_SERVER_ROOT_URL: `${url}/grafana/`,
        GF_SERVER_SERVE_FROM_SUB_PATH: "true",
        GF_SECURITY_ADMIN_USER: "admin",
        GF_SECURITY_ADMIN_PASSWORD: envInterpolation(GRAFANA_ADMIN_PASSWORD),
        GF_SECURITY_COOKIE_SECURE: String(httpsEnabled(stack)),
        GF_USERS_ALLOW_SIGN_UP: "false",
        GF_ANALYTICS_REPORTING_ENABLED: "false",
        GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
        GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: "false",
        GF_NEWS_NEWS_FEED_ENABLED: "false",
        GF_LOG_CONSOLE_FORMAT: "json",
      },
      ...toolPorts(stack.addons.grafana, PORTS.grafana),
      volumes: [
        ...(addons.prometheus ? ["./config/grafana/provisioning:/etc/grafana/provisioning:ro"] : []),
        "grafana_data:/var/lib/grafana",
      ],
      networks: ["edge"],
      ...(addons.prometheus ? { depends_on: { prometheus: healthy } } : {}),
      healthcheck: fastCheck(wget(`http://127.0.0.1:${PORTS.grafana}/grafana/api/health`)),
    };
  }

  if (addons.elk) {
    volumes.elasticsearch_data = {};
    services.elasticsearch = {
      image: imageFor(stack, "elasticsearch"),
      profiles: ["logging"],
      restart: "unless-stopped",
      environment: { ES_JAVA_OPTS: "-Xms512m -Xmx512m" },
      volumes: [
        "./config/elasticsearch/elasticsearch.yml:/usr/share/elasticsearch/config/elasticsearch.yml:ro",
        "elasticsearch_data:/usr/share/elasticsearch/data",
      ],
      networks: ["edge"],
      healthcheck: slowCheck(
        curl(`http://127.0.0.1:${PORTS.elasticsearch}/_cluster/health?wait_for_status=yellow&timeout=5s`),
      ),
    };
    services.logstash = {
      image: imageFor(stack, "logstash"),
      profiles: ["logging"],
      restart: "unless-stopped",
      environment: { LS_JAVA_OPTS: "-Xms256m -Xmx256m" },
      volumes: [
        "./config/logstash/pipeline:/usr/share/logstash/pipeline:ro",
        "./config/logstash/logstash.yml:/usr/share/logstash/config/logstash.yml:ro",
      ],
      networks: ["edge"],
      depends_on: { elasticsearch: healthy },
      healthcheck: slowCheck(curl(`http://127.0.0.1:${PORTS.logstashApi}/`)),
    };
    services.kibana = {
      image: imageFor(stack, "kibana"),
      profiles: ["logging"],
      restart: "unless-stopped",
      environment: { NODE_OPTIONS: "--max-old-space-size=512" },
      ...toolPorts(stack.addons.elk, PORTS.kibana),
      volumes: ["./config/kibana/kibana.yml:/usr/share/kibana/config/kibana.yml:ro"],
      networks: ["edge"],
      depends_on: { elasticsearch: healthy },
      healthcheck: slowCheck(curl(`http://127.0.0.1:${PORTS.kibana}/kibana/api/status`)),
    };
  }

  if (addons.jenkins) {
    volumes.jenkins_home = {};
    services.jenkins = {
      // Built by `stack up` from config/jenkins/Dockerfile: FROM images.jenkins, plugins baked in, the
      // `stack` CLI copied from the gateway image (which `stack up` therefore builds first). Tagged with
      // gatestack's version, so an upgraded gatestack builds a Jenkins with its own CLI.
      image: `${stack.name}-jenkins:${GATESTACK_VERSION}`,
      build: { context: JENKINS_BUILD_CONTEXT, args: jenkinsBuildArgs(stack) },
      profiles: ["ci"],
      restart: "unless-stopped",
      environment: {
        JAVA_OPTS:
          "-Xms256m -Xmx512m -Djenkins.install.runSetupWizard=false -Dhudson.plugins.git.GitSCM.ALLOW_LOCAL_CHECKOUT=true",
        JENKINS_OPTS: "--prefix=/jenkins",
        CASC_JENKINS_CONFIG: "/etc/gatestack/jenkins/casc.yaml",
        ...jenkinsSecrets(stack),
      },
      ...toolPorts(stack.addons.jenkins, PORTS.jenkins),
      volumes: [
        "./config/jenkins:/etc/gatestack/jenkins:ro",
        "jenkins_home:/var/jenkins_home",
        // Only the git history (never .env): the pipeline job clones file:///srv/stack.git.
        {
          type: "bind",
          source: "./.git",
          // The image's git config trusts this path (safe.directory): the mount is owned by another uid.
          target: JENKINS_REPO_PATH,
          read_only: true,
          bind: { create_host_path: false },
        },
      ],
      networks: ["edge"],
      healthcheck: slowCheck(curl(`http://127.0.0.1:${PORTS.jenkins}/jenkins/login`)),
    };
  }

  return { name: stack.name, services, networks: { edge: {}, backend: {} }, volumes };
}

/**
 * The .env variables the Jenkins container gets: casc.yaml reads JENKINS_ADMIN_PASSWORD, the
 * pipeline pushes the gateway config with GATEWAY_ADMIN_TOKEN, and its `stack validate`
 * stage checks a checkout without .env, so it reads every variable stack.yaml needs from
 * the environment.
 */
function jenkinsSecrets(stack: StackConfig): Record<string, string> {
  const names = new Set([JENKINS_ADMIN_PASSWORD, GATEWAY_ADMIN_TOKEN]);
  for (const spec of envVarsFor(stack)) if (spec.required) names.add(spec.name);
  return Object.fromEntries([...names].map((name) => [name, envInterpolation(name)]));
}

export function renderCompose(stack: StackConfig): Artifact {
  return { path: COMPOSE_PATH, content: toYaml(buildCompose(stack), { flowKeys: ["test"] }) };
}

import { Flags } from "@oclif/core";
import { BaseCommand } from "../../cli/base-command.js";
import { serveOptions } from "../../cli/gateway-serve-options.js";
import { postgresFlags } from "../../cli/postgres-flags.js";
import { jsonLogger } from "../../gateway/logger.js";
import { startGateway } from "../../gateway/server.js";

/** How long SIGTERM waits for in-flight requests before closing them. */
const DRAIN_TIMEOUT_MS = 10_000;

export default class GatewayServe extends BaseCommand<typeof GatewayServe> {
  static override summary = "Run the Kong-compatible API gateway (proxy, Admin API, status listener).";

  static override description = `Serves a Kong DB-less declarative configuration (kong.yml) unchanged.
Settings come from flags, else GATEWAY_* variables, else Kong's KONG_* variables.
Proxy 0.0.0.0:8000, Admin API 127.0.0.1:8001 (non-loopback only with an admin token), status 0.0.0.0:8100,
gateway manager 127.0.0.1:8002 (the same rule; with a token it asks for it at login).
The client address is the peer, or — from a peer in trusted_ips only — the address in real_ip_header
(nginx realip semantics, as Kong). Only HTTP/1.0 and 1.1 are served; only WebSocket upgrades are tunnelled.
One JSON access-log line per request on stdout; process messages as JSON lines on stderr.
SIGHUP reloads the configuration file (an invalid file is logged and the old configuration kept);
SIGTERM stops accepting, drains in-flight requests (up to 10 s) and exits 0.
--database postgres (Kong's database mode): the configuration is what PostgreSQL holds (KONG_PG_* settings;
run \`stack gateway migrations bootstrap\` first); Admin API writes are stored and every replica on the same
database serves them within a second; POST /config replaces the whole stored state.`;

  static override examples = [
    "<%= config.bin %> gateway serve --config kong.yml",
    "<%= config.bin %> gateway serve --config kong.yml --proxy-listen 127.0.0.1:9000 --admin-listen off",
    "GATEWAY_ADMIN_TOKEN=s3cret <%= config.bin %> gateway serve --admin-listen 0.0.0.0:8001",
  ];

  static override flags = {
    config: Flags.string({
      char: "c",
      description: "Declarative config file (YAML or JSON). Env: GATEWAY_CONFIG, KONG_DECLARATIVE_CONFIG.",
    }),
    "proxy-listen": Flags.string({
      description:
        "Proxy address host:port. Env: GATEWAY_PROXY_LISTEN, KONG_PROXY_LISTEN. [default: 0.0.0.0:8000]",
    }),
    "admin-listen": Flags.string({
      description:
        "Admin API address host:port or 'off'. Env: GATEWAY_ADMIN_LISTEN, KONG_ADMIN_LISTEN. [default: 127.0.0.1:8001]",
    }),
    "status-listen": Flags.string({
      description:
        "Status address host:port or 'off'. Env: GATEWAY_STATUS_LISTEN, KONG_STATUS_LISTEN. [default: 0.0.0.0:8100]",
    }),
    "gui-listen": Flags.string({
      description:
        "Gateway manager (web UI) address host:port or 'off'; non-loopback only with an admin token (then a login). Env: GATEWAY_GUI_LISTEN, KONG_ADMIN_GUI_LISTEN. [default: 127.0.0.1:8002]",
    }),
    "portal-listen": Flags.string({
      description:
        "Developer portal address host:port or 'off': every service's OpenAPI document (the app's GATEWAY_PORTAL_SPEC_PATH, default /openapi.json) with the gateway's paths and authentication, in Swagger UI; no login. Env: GATEWAY_PORTAL_LISTEN, KONG_PORTAL_GUI_LISTEN. [default: off]",
    }),
    "admin-token": Flags.string({
      description: "Require 'Authorization: Bearer <token>' on the Admin API. Env: GATEWAY_ADMIN_TOKEN.",
    }),
    "trusted-ips": Flags.string({
      description:
        "Comma list of IPs/CIDRs whose X-Forwarded-* headers are trusted. Env: GATEWAY_TRUSTED_IPS, KONG_TRUSTED_IPS.",
    }),
    "real-ip-header": Flags.string({
      description:
        "The one header the client address is read from, from trusted peers only (Kong's real_ip_header). Env: GATEWAY_REAL_IP_HEADER, KONG_REAL_IP_HEADER. [default: X-Real-IP]",
    }),
    "real-ip-recursive": Flags.string({
      description:
        "on: the client is the right-most address of that header that is not trusted (Kong's real_ip_recursive). Env: GATEWAY_REAL_IP_RECURSIVE, KONG_REAL_IP_RECURSIVE. [default: off]",
      options: ["on", "off"],
    }),
    "client-body-timeout": Flags.string({
      description:
        "A request body that sends nothing for this long is answered 408 (nginx time: 60s, 1m; 0 = off). Env: GATEWAY_CLIENT_BODY_TIMEOUT, KONG_NGINX_PROXY_CLIENT_BODY_TIMEOUT. [default: 60s]",
    }),
    "client-body-min-rate": Flags.string({
      description:
        "A request body slower than this many bytes/s after its first 5 s is answered 408 (0 = off). Env: GATEWAY_CLIENT_BODY_MIN_RATE. [default: 240]",
    }),
    "plugin-dirs": Flags.string({
      description: "Extra plugin folders (comma separated). Env: GATEWAY_PLUGIN_DIRS.",
    }),
    "dns-resolver": Flags.string({
      description:
        "Name servers for target and service host names, ip[:port] comma separated (Consul: 127.0.0.1:8600); SRV records give ports and weights. Env: GATEWAY_DNS_RESOLVER, KONG_DNS_RESOLVER. [default: the system resolver]",
    }),
    "dns-order": Flags.string({
      description:
        "DNS record types tried in turn (LAST, SRV, A, AAAA, CNAME). Env: GATEWAY_DNS_ORDER, KONG_DNS_ORDER. [default: LAST,SRV,A,CNAME once a DNS setting is given]",
    }),
    "tracing-instrumentations": Flags.string({
      description:
        "Spans the opentelemetry plugin records (Kong's tracing_instrumentations): off (propagate only), request (the request span), all, or a list of balancer, plugin_access, plugin_header_filter (plugin_rewrite, router, db_query, dns_query, http_client are accepted and record nothing here). Env: GATEWAY_TRACING_INSTRUMENTATIONS, KONG_TRACING_INSTRUMENTATIONS. [default: all]",
    }),
    "tracing-sampling-rate": Flags.string({
      description:
        "Share of new traces sampled, 0 to 1, when an opentelemetry plugin sets no sampling_rate (Kong's tracing_sampling_rate). Env: GATEWAY_TRACING_SAMPLING_RATE, KONG_TRACING_SAMPLING_RATE. [default: 1.0]",
    }),
    database: Flags.string({
      description:
        "off: serve the declarative --config (DB-less); postgres: serve the state stored in PostgreSQL, written through the Admin API and shared by every gateway on it. Env: GATEWAY_DATABASE, KONG_DATABASE. [default: off]",
      options: ["off", "postgres"],
    }),
    ...postgresFlags(),
  };

  async run(): Promise<void> {
    const opts = serveOptions(this.flags, process.env);
    const logger = jsonLogger(process.stderr);
    const gateway = await startGateway({ ...opts, logger });
    logger.info("gateway started", {
      proxy: gateway.proxyUrl || null,
      admin: gateway.adminUrl,
      status: gateway.statusUrl,
      portal: gateway.portalUrl,
      gui: gateway.guiUrl,
      config: typeof opts.config === "string" ? opts.config : null,
      configuration_hash: gateway.configHash,
    });
    await new Promise<void>((resolve) => {
      let stopping = false;
      const onHup = () => {
        gateway.reload().then(
          () => logger.info("configuration reloaded", { configuration_hash: gateway.configHash }),
          (err: unknown) =>
            logger.error("configuration reload failed; keeping the previous configuration", {
              error: (err as Error).message,
              details: (err as { error?: unknown }).error,
            }),
        );
      };
      const onStop = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        logger.info("shutting down", { signal, drain_timeout_ms: DRAIN_TIMEOUT_MS });
        gateway.drain(DRAIN_TIMEOUT_MS).then(
          () => {
            process.off("SIGHUP", onHup);
            logger.info("stopped");
            resolve();
          },
          (err: unknown) => {
            logger.error("shutdown failed", { error: (err as Error).message });
            resolve();
          },
        );
      };
      process.on("SIGHUP", onHup);
      process.once("SIGTERM", onStop);
      process.once("SIGINT", onStop);
    });
  }
}

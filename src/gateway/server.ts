import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { hostname } from "node:os";
import { GATESTACK_VERSION } from "../version.js";
import { createAdminHandler } from "./admin/handler.js";
import type { AdminState } from "./admin/types.js";
import { type DnsSettings, dnsResolver, type Resolver, systemResolver } from "./balancer/index.js";
import { parseDeclarativeConfig } from "./config/load.js";
import { DatabaseMode } from "./database-mode.js";
import {
  ConfigFileError,
  ConfigInvalidError,
  DatabaseUnavailableError,
  GatewayOptionsError,
  ListenError,
} from "./errors.js";
import { Generations } from "./generations.js";
import { GuiServer } from "./gui/handler.js";
import { enableHeapCompaction } from "./heap.js";
import { isLoopback, type ListenAddress } from "./listen.js";
import { jsonLogger } from "./logger.js";
import { GatewayMetrics } from "./metrics.js";
import {
  DEFAULT_TRACING,
  parseTracingInstrumentations,
  parseTracingSamplingRate,
  type TracingSettings,
  unrecorded,
} from "./plugins/_shared/tracing-settings.js";
import { databaseModeLookup, loadPluginRegistry, type PluginRegistry } from "./plugins/registry.js";
import type {
  GatewayLogger,
  GatewayRuntimeInfo,
  GatewayServerStats,
  PluginDatabase,
  UpstreamTargetHealth,
} from "./plugins/types.js";
import { createPortalHandler, type PortalOptions } from "./portal/index.js";
import { AccessLogWriter, type AccessObserver } from "./proxy/access-log.js";
import { ClientBodyGuard, DEFAULT_CLIENT_BODY_LIMITS } from "./proxy/client-body-guard.js";
import { createProxyHandler, createUpgradeHandler, type ProxyState } from "./proxy/handler.js";
import { RealIp } from "./proxy/real-ip.js";
import { invalidVersionStatus } from "./proxy/request-line.js";
import { normalizeIp, TrustedIps } from "./proxy/trusted-ips.js";
import { isReplayedConnection } from "./proxy/upgrade.js";
import type { GatewaySnapshot } from "./snapshot.js";
import { createStatusHandler, type StatusSource } from "./status.js";
import { DeclarativeStore } from "./store/declarative.js";
import type { PostgresSettings } from "./store/postgres/settings.js";
import { runtimeEntitiesOf } from "./store/records.js";
import { UpstreamPools } from "./transport/dispatch.js";
import { webAssetsDir } from "./web-assets.js";

/** How startGateway is configured (flags/env are mapped onto this by `stack gateway serve`). */
export interface GatewayOptions {
  /** a file path, `{ text }` (YAML or JSON), or a parsed declarative document */
  config?: string | { text: string } | object;
  /** default 0.0.0.0:8000; null disables */
  proxyListen?: ListenAddress | null;
  /** default 127.0.0.1:8001; null disables; non-loopback needs adminToken */
  adminListen?: ListenAddress | null;
  /** default 0.0.0.0:8100; null disables */
  statusListen?: ListenAddress | null;
  /**
   * Kong's admin_gui_listen: the gateway manager (gui/handler.ts). Default off in the library
   * (`stack gateway serve` defaults to 127.0.0.1:8002); non-loopback needs adminToken.
   */
  guiListen?: ListenAddress | null;
  /**
   * Kong's portal_gui_listen: the developer portal (portal/), every service's OpenAPI document with
   * the gateway's paths and authentication, for API consumers (no login, nothing secret). Default off.
   */
  portalListen?: ListenAddress | null;
  /** the portal's settings: the apps' document path (default /openapi.json), its `servers` URL… */
  portal?: PortalOptions;
  adminToken?: string;
  /** Kong's trusted_ips: peers whose X-Forwarded-* and real_ip_header values are believed */
  trustedIps?: string[];
  /** Kong's real_ip_header: the one header the client address is read from (default X-Real-IP) */
  realIpHeader?: string;
  /** Kong's real_ip_recursive: walk the header right to left past trusted addresses (default false) */
  realIpRecursive?: boolean;
  pluginDirs?: string[];
  /** JSON access log lines; default process.stdout; false disables */
  accessLog?: NodeJS.WritableStream | false;
  /** environment for `{vault://env/NAME}` references (default process.env) */
  env?: Record<string, string | undefined>;
  /** process log (default: JSON lines on stderr) */
  logger?: GatewayLogger;
  /** DNS resolution of target/service host names (default: the system resolver) */
  resolver?: Resolver;
  /**
   * Kong's `dns_resolver` and `dns_order`: name servers queried directly (Consul's DNS interface on
   * port 8600…) and the record types tried in turn, SRV records giving each address its port and
   * weight, re-resolved when their TTL runs out. Absent: the system resolver (getaddrinfo), no SRV.
   */
  dns?: DnsSettings;
  /**
   * Kong's `tracing_instrumentations` and `tracing_sampling_rate`, for the tracing plugin
   * (opentelemetry): which spans are recorded (`off`: the plugin only propagates) and the
   * sampling rate used when the plugin sets none. Absent: `all` and 1.0 (Kong's defaults are `off`
   * and 0.01).
   */
  tracing?: { instrumentations?: readonly string[]; samplingRate?: number };
  /**
   * how often host names are re-resolved, ms (default 2000: Docker's DNS answers with a TTL of
   * 600 s but drops a stopped replica's record at once, so re-resolving every few seconds is
   * what makes scaling and failover visible)
   */
  dnsRefreshMs?: number;
  /** max concurrent connections per upstream target (default 256) */
  connectionsPerTarget?: number;
  /** idle keep-alive of upstream connections, ms (default 4000) */
  upstreamKeepAliveMs?: number;
  /** Kong's client_header_timeout: time to receive the request head, ms (default 60000) */
  clientHeaderTimeoutMs?: number;
  /** idle keep-alive of client connections, ms (default 65000) */
  clientKeepAliveMs?: number;
  /** largest accepted request head, bytes (default 16384; larger → 431) */
  maxHeaderSize?: number;
  /** Kong's (nginx's) client_body_timeout: no request-body byte for this long → 408, ms (default 60000; 0: off) */
  clientBodyTimeoutMs?: number;
  /** slowest accepted request body after the grace period, bytes/s (default 240; 0: off) → 408 */
  clientBodyMinRate?: number;
  /** how long a request body may start slowly before the minimum rate counts, ms (default 5000) */
  clientBodyGraceMs?: number;
  /**
   * After each configuration swap, once the old configuration is released, run one full
   * garbage collection (heap.ts): a big reload leaves tens of MB that V8 would otherwise keep
   * under steady traffic. Default off (a library embedding the gateway owns its process);
   * `stack gateway serve` turns it on.
   */
  heapCompaction?: boolean;
  /**
   * Kong's `database`: absent (`off`) serves the declarative `config` (DB-less, `POST /config`);
   * `postgres` serves the state stored in PostgreSQL, written through the Admin API and shared by
   * every gateway on that database (database-mode.ts). The schema must be migrated first
   * (`stack gateway migrations bootstrap|up`).
   */
  database?: {
    postgres: PostgresSettings;
    /** how often expired oauth2 tokens and codes are deleted, ms (Kong: every 60 s) */
    ttlSweepMs?: number;
  };
}

export interface Gateway {
  proxyUrl: string;
  adminUrl: string | null;
  statusUrl: string | null;
  /** the developer portal's address, or null when it is off */
  portalUrl: string | null;
  /** the gateway manager's address, or null when its listener is off */
  guiUrl: string | null;
  /** Validate and atomically swap in a new configuration; throws ConfigInvalidError (old config kept). */
  apply(doc: string | object): Promise<void>;
  /** Re-read the configuration file given at start (SIGHUP); throws like apply. */
  reload(): Promise<void>;
  /** Stop accepting, wait for in-flight requests (bounded), then close everything. */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
  /** Kong's configuration_hash of the served config, or null before one is loaded. */
  readonly configHash: string | null;
  /** Runtime view for the Admin API and plugins. */
  readonly runtime: GatewayRuntime;
}

/** A configuration rejected by the loader (Kong's code-14 error); one of the gateway's errors. */
export { ConfigInvalidError };

const DEFAULT_PROXY: ListenAddress = { host: "0.0.0.0", port: 8000 };
const DEFAULT_ADMIN: ListenAddress = { host: "127.0.0.1", port: 8001 };
const DEFAULT_STATUS: ListenAddress = { host: "0.0.0.0", port: 8100 };
export const DEFAULT_DNS_REFRESH_MS = 2000;

/** Connection/request counters of the proxy listener. */
class ServerCounters {
  accepted = 0;
  active = 0;
  requests = 0;
  inflight = 0;

  stats(): GatewayServerStats {
    return {
      connectionsAccepted: this.accepted,
      connectionsHandled: this.accepted,
      connectionsActive: this.active,
      connectionsReading: 0,
      connectionsWriting: this.inflight,
      connectionsWaiting: Math.max(0, this.active - this.inflight),
      totalRequests: this.requests,
    };
  }
}

/**
 * The state the Admin API and plugins read: the current snapshot (config, balancers,
 * admin routes of plugins), node id, metrics registry, apply().
 */
/** GatewayOptions.tracing checked (Kong's messages) with the defaults filled in. */
function tracingSettings(given: GatewayOptions["tracing"]): TracingSettings {
  if (given === undefined) return DEFAULT_TRACING;
  try {
    return {
      instrumentations:
        given.instrumentations === undefined
          ? DEFAULT_TRACING.instrumentations
          : parseTracingInstrumentations(given.instrumentations.join(",")),
      samplingRate:
        given.samplingRate === undefined
          ? DEFAULT_TRACING.samplingRate
          : parseTracingSamplingRate(String(given.samplingRate)),
    };
  } catch (err) {
    const place = /sampling_rate/.test((err as Error).message)
      ? "tracing_sampling_rate"
      : "tracing_instrumentations";
    throw new GatewayOptionsError((err as Error).message, { place });
  }
}

export class GatewayRuntime implements GatewayRuntimeInfo {
  /** the configuration generations (set once the gateway is provisioned) */
  generations: Generations | null = null;
  /**
   * Where the served document comes from: the DB-less store (the source as given, text kept
   * compact) or, in database mode, the state last loaded from the database.
   */
  documentSource: () => Record<string, unknown> | null = () => null;
  readonly nodeId = randomUUID();
  /** the Prometheus registry (prom-client is loaded when a plugin first asks for it) */
  readonly metrics = new GatewayMetrics();
  readonly counters = new ServerCounters();
  readonly startedAt = Date.now();

  constructor(readonly applyConfig: (doc: string | object) => Promise<void>) {}

  /** the snapshot new requests start on */
  get current(): GatewaySnapshot | null {
    return this.generations?.current ?? null;
  }

  configHash(): string {
    return this.current?.config.hash ?? "";
  }

  /** The served document as parsed (before vault references are resolved). */
  document(): Record<string, unknown> | null {
    return this.documentSource();
  }

  serverStats(): GatewayServerStats {
    return this.counters.stats();
  }

  upstreamHealth(): UpstreamTargetHealth[] {
    const snapshot = this.current;
    if (snapshot === null) return [];
    const out: UpstreamTargetHealth[] = [];
    for (const b of snapshot.balancers.upstreams()) {
      for (const t of b.health()) {
        if (t.data.addresses.length === 0) {
          out.push({ upstream: b.name, target: t.target, address: "", state: stateLabel(t.health) });
        }
        for (const a of t.data.addresses) {
          const address = a.ip.includes(":") ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
          out.push({ upstream: b.name, target: t.target, address, state: stateLabel(a.health) });
        }
      }
    }
    return out;
  }
}

function stateLabel(h: string): UpstreamTargetHealth["state"] {
  return h.toLowerCase() as UpstreamTargetHealth["state"];
}

/**
 * Start the gateway. Lifecycle as Caddy's: provision (plugin registry, pools, metrics) →
 * validate (listen addresses, admin exposure, the initial configuration) → serve (the
 * listeners) → cleanup, which is safe after a partial start (a busy port after the proxy
 * listener already started closes what was opened and rethrows).
 */
export async function startGateway(opts: GatewayOptions = {}): Promise<Gateway> {
  const instance = new GatewayInstance(opts);
  try {
    await instance.provision();
    await instance.validate();
    await instance.serve();
  } catch (err) {
    await instance.cleanup();
    throw err;
  }
  return instance.api();
}

class GatewayInstance implements ProxyState {
  private readonly opts: GatewayOptions;
  readonly logger: GatewayLogger;
  readonly realIp: RealIp;
  readonly bodyGuard: ClientBodyGuard;
  readonly pools: UpstreamPools;
  readonly accessLog: AccessLogWriter | null;
  /** the gateway manager's feed (its listener on): one call per finished request */
  accessObserver: AccessObserver | null = null;
  readonly runtime: GatewayRuntime;
  /** DB-less mode's configuration store (database mode: `database`, on PostgreSQL) */
  private readonly declarative = new DeclarativeStore();
  private registry: PluginRegistry | null = null;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private proxyServer: Server | null = null;
  private proxyUrl = "";
  private adminUrl: string | null = null;
  private statusUrl: string | null = null;
  private portalUrl: string | null = null;
  private guiUrl: string | null = null;
  private gui: GuiServer | null = null;
  private applying: Promise<unknown> = Promise.resolve();
  /** database mode, when configured */
  private database: DatabaseMode | null = null;
  /** database mode: the database as plugins use it (cluster counters) */
  private pluginDatabase: (PluginDatabase & { close(): Promise<void> }) | null = null;
  /** the plugin definitions configs are checked with (database mode: its schemas, e.g. `policy: cluster`) */
  private pluginLookupOf: ((name: string) => ReturnType<PluginRegistry["get"]>) | null = null;
  private closed = false;
  private draining = false;
  private readonly configFile: string | null;

  /** The configuration to load at start (dropped once loaded: the runtime keeps what is served). */
  private initialConfig: GatewayOptions["config"];
  private readonly tracing: TracingSettings;

  constructor(opts: GatewayOptions) {
    const { config, ...rest } = opts;
    this.opts = rest;
    this.initialConfig = config;
    this.logger = opts.logger ?? jsonLogger(process.stderr);
    let trusted: TrustedIps;
    try {
      trusted = new TrustedIps(opts.trustedIps ?? []);
    } catch (err) {
      throw new GatewayOptionsError((err as Error).message, { place: "trusted_ips" });
    }
    this.tracing = tracingSettings(opts.tracing);
    try {
      this.realIp = new RealIp({ trusted, header: opts.realIpHeader, recursive: opts.realIpRecursive });
    } catch (err) {
      throw new GatewayOptionsError((err as Error).message, { place: "real_ip_header" });
    }
    this.bodyGuard = new ClientBodyGuard({
      ...DEFAULT_CLIENT_BODY_LIMITS,
      ...(opts.clientBodyTimeoutMs === undefined ? {} : { timeoutMs: opts.clientBodyTimeoutMs }),
      ...(opts.clientBodyMinRate === undefined ? {} : { minBytesPerSecond: opts.clientBodyMinRate }),
      ...(opts.clientBodyGraceMs === undefined ? {} : { graceMs: opts.clientBodyGraceMs }),
    });
    this.pools = new UpstreamPools({
      connectionsPerTarget: opts.connectionsPerTarget,
      keepAliveTimeout: opts.upstreamKeepAliveMs ?? 4000,
    });
    this.accessLog = opts.accessLog === false ? null : new AccessLogWriter(opts.accessLog ?? process.stdout);
    this.runtime = new GatewayRuntime((doc) => this.apply(doc));
    this.runtime.documentSource = () => this.declarative.document();
    this.configFile = typeof config === "string" ? config : null;
  }

  get current(): GatewaySnapshot | null {
    return this.runtime.current;
  }

  // ---------------------------------------------------------------- lifecycle

  async provision(): Promise<void> {
    if (this.opts.heapCompaction) enableHeapCompaction();
    this.registry = await loadPluginRegistry(this.opts.pluginDirs ?? [], {
      onProblem: (p) => this.logger.warn("plugin not loaded", { dir: p.dir, error: p.message }),
    });
    this.runtime.generations = new Generations({
      registry: this.registry,
      logger: this.logger,
      pools: this.pools,
      resolver:
        this.opts.resolver ?? (this.opts.dns !== undefined ? dnsResolver(this.opts.dns) : systemResolver),
      dnsRefreshMs: this.opts.dnsRefreshMs ?? DEFAULT_DNS_REFRESH_MS,
      tracing: this.tracing,
      runtime: this.runtime,
      heapCompaction: this.opts.heapCompaction === true,
      database: () => this.pluginDatabase,
      entities: () => this.database?.pluginWriter() ?? null,
    });
  }

  async validate(): Promise<void> {
    const unrecordedTypes = unrecorded(this.tracing);
    if (unrecordedTypes.length > 0) {
      this.logger.warn(
        `tracing_instrumentations: ${unrecordedTypes.join(", ")} accepted; this gateway records no span for ${unrecordedTypes.length === 1 ? "it" : "them"}`,
      );
    }
    const admin = this.adminListen();
    if (admin !== null && !isLoopback(admin.host) && !this.opts.adminToken) {
      throw new GatewayOptionsError(
        `refusing to expose the Admin API on ${admin.host}:${admin.port} without an admin token`,
        {
          place: "admin_listen",
          hint: "set --admin-token (or GATEWAY_ADMIN_TOKEN), or listen on 127.0.0.1",
        },
      );
    }
    const gui = this.opts.guiListen ?? null;
    if (gui !== null && !isLoopback(gui.host) && !this.opts.adminToken) {
      throw new GatewayOptionsError(
        `refusing to expose the gateway manager on ${gui.host}:${gui.port} without an admin token`,
        {
          place: "admin_gui_listen",
          hint: "set --admin-token (or GATEWAY_ADMIN_TOKEN), or listen on 127.0.0.1",
        },
      );
    }
    const config = this.initialConfig;
    this.initialConfig = undefined;
    if (this.opts.database) {
      await this.startDatabaseMode(this.opts.database.postgres, this.opts.database.ttlSweepMs);
      return;
    }
    if (config !== undefined) {
      const input =
        typeof config === "string"
          ? await this.readConfigFile(config)
          : "text" in config && typeof (config as { text: unknown }).text === "string"
            ? (config as { text: string }).text
            : config;
      try {
        await this.apply(input);
      } catch (err) {
        if (err instanceof ConfigInvalidError) {
          throw new ConfigInvalidError(err.error, { place: this.configFile ?? "config" });
        }
        throw err;
      }
    }
  }

  async serve(): Promise<void> {
    const proxy = this.opts.proxyListen === undefined ? DEFAULT_PROXY : this.opts.proxyListen;
    if (proxy !== null) {
      const server = createServer(
        {
          requestTimeout: 0,
          headersTimeout: this.opts.clientHeaderTimeoutMs ?? 60_000,
          keepAliveTimeout: this.opts.clientKeepAliveMs ?? 65_000,
          maxHeaderSize: this.opts.maxHeaderSize ?? 16384,
          connectionsCheckingInterval: Math.min(1000, this.opts.clientHeaderTimeoutMs ?? 1000),
        },
        createProxyHandler(this),
      );
      server.on("upgrade", createUpgradeHandler(this, server));
      server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => clientError(err, socket));
      server.on("connection", (socket: Socket) => {
        if (isReplayedConnection(socket)) return; // an upgrade handed back as plain HTTP: counted once
        const c = this.runtime.counters;
        c.accepted++;
        c.active++;
        this.sockets.add(socket);
        socket.once("close", () => {
          c.active--;
          this.sockets.delete(socket);
        });
      });
      this.proxyServer = server;
      this.proxyUrl = await this.listen(server, proxy, "proxy");
    }
    const admin = this.adminListen();
    if (admin !== null) {
      const server = createServer(this.adminHandler());
      this.adminUrl = await this.listen(server, admin, "admin");
    }
    const status = this.opts.statusListen === undefined ? DEFAULT_STATUS : this.opts.statusListen;
    if (status !== null) {
      const source: StatusSource = {
        configHash: () => this.current?.config.hash ?? null,
        accepting: () => !this.draining,
        serverStats: () => this.runtime.serverStats(),
        metrics: this.runtime.metrics,
        databaseReachable: () => this.database?.reachable() ?? true,
      };
      const server = createServer(createStatusHandler(source));
      this.statusUrl = await this.listen(server, status, "status");
    }
    const gui = this.opts.guiListen ?? null;
    if (gui !== null) {
      const manager = this.guiServer();
      this.gui = manager;
      this.guiUrl = await this.listen(createServer(manager.handle), gui, "admin_gui");
      const { stats, logs } = manager;
      this.accessObserver = (fields, routeId, consumerId) => {
        stats.record(fields.status, fields.totalMs);
        if (logs.size > 0) logs.publish(fields, { routeId, consumerId });
      };
    }
    const portal = this.opts.portalListen ?? null;
    if (portal !== null) {
      const source = { current: () => this.current, pools: this.pools, logger: this.logger };
      const server = createServer(createPortalHandler(source, this.opts.portal));
      this.portalUrl = await this.listen(server, portal, "portal");
    }
  }

  /** Close listeners, retire snapshots, close pools. Safe to call after a partial start, twice. */
  async cleanup(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.bodyGuard.close();
    this.accessObserver = null;
    this.gui?.close();
    const closing = this.servers.map((s) => closeServer(s));
    for (const s of this.sockets) s.destroy();
    await Promise.all(closing);
    await this.database?.close();
    await this.runtime.generations?.close();
    await this.pluginDatabase?.close();
    this.accessLog?.flush();
    await this.pools.close();
  }

  api(): Gateway {
    const self = this;
    return {
      proxyUrl: this.proxyUrl,
      adminUrl: this.adminUrl,
      statusUrl: this.statusUrl,
      portalUrl: this.portalUrl,
      guiUrl: this.guiUrl,
      apply: (doc) => this.apply(doc),
      reload: () => this.reload(),
      drain: (timeoutMs) => this.drain(timeoutMs),
      close: () => this.cleanup(),
      get configHash() {
        return self.current?.config.hash ?? null;
      },
      runtime: this.runtime,
    };
  }

  // ---------------------------------------------------------------- configuration

  /** One configuration change at a time (applies, database loads and writes never interleave). */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.applying.then(task);
    this.applying = run.catch(() => undefined);
    return run;
  }

  /**
   * Parse, build a snapshot off to the side, swap it in; serialized. In database mode the document
   * replaces the stored state (every replica then serves it).
   */
  async apply(input: string | object): Promise<void> {
    if (this.database !== null) {
      const r = await this.database.replaceAll(input);
      if ("unavailable" in r) throw new DatabaseUnavailableError(`database unavailable: ${r.unavailable}`);
      if (!r.ok) throw new ConfigInvalidError(r.error.error);
      return;
    }
    return this.serialized(() => this.applyNow(input));
  }

  private parseOptions(resolve: boolean) {
    return {
      env: this.opts.env ?? process.env,
      plugins: this.pluginLookup(),
      resolveVaultReferences: resolve,
    };
  }

  private pluginLookup(): (name: string) => ReturnType<PluginRegistry["get"]> {
    if (this.pluginLookupOf === null) {
      const registry = this.registry!;
      this.pluginLookupOf = this.opts.database ? databaseModeLookup(registry) : (name) => registry.get(name);
    }
    return this.pluginLookupOf;
  }

  /** Database mode: open the store (its schema migrated), serve what it holds, follow its changes. */
  private async startDatabaseMode(settings: PostgresSettings, ttlSweepMs?: number): Promise<void> {
    const { PostgresStore } = await import("./store/postgres/store.js");
    const store = await PostgresStore.open(settings, this.logger);
    const { PostgresPluginDatabase } = await import("./store/postgres/plugin-database.js");
    this.pluginDatabase = new PostgresPluginDatabase(settings);
    const mode = new DatabaseMode({
      store,
      logger: this.logger,
      // the stored state holds Kong's salted basic-auth hashes, not passwords
      parse: (doc) =>
        parseDeclarativeConfig(doc, {
          ...this.parseOptions(true),
          basicAuthPasswords: "hashed",
          database: true,
        }),
      parseForStorage: (doc) => parseDeclarativeConfig(doc, { ...this.parseOptions(false), database: true }),
      swap: async (config, document) => {
        await this.runtime.generations!.swapIn(config);
        this.runtime.documentSource = () => document;
        this.logger.info("configuration loaded", {
          hash: config.hash,
          services: config.services.length,
          routes: config.routes.length,
          plugins: config.plugins.length,
        });
      },
      updateRuntime: (document) => {
        const config = this.runtime.generations!.updateRuntime(runtimeEntitiesOf(document));
        if (config !== null) this.runtime.documentSource = () => document;
        return config;
      },
      serialized: (task) => this.serialized(task),
      ...(ttlSweepMs === undefined ? {} : { ttlSweepMs }),
    });
    this.database = mode;
    await mode.start();
  }

  async reload(): Promise<void> {
    // database mode (SIGHUP): serve what the database holds; a file never replaces it
    if (this.database !== null) return this.database.catchUp();
    if (this.configFile === null) throw new Error("no configuration file to reload");
    await this.apply(await this.readConfigFile(this.configFile));
  }

  private async readConfigFile(path: string): Promise<string> {
    try {
      return await readFile(path, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ConfigFileError(
        code === "ENOENT"
          ? "configuration file not found"
          : `cannot read configuration file: ${(err as Error).message}`,
        { place: path },
      );
    }
  }

  private async applyNow(input: string | object): Promise<void> {
    if (this.closed) throw new Error("gateway is closed");
    const parsed = parseDeclarativeConfig(input, this.parseOptions(true));
    if (!parsed.ok) throw new ConfigInvalidError(parsed.error);
    await this.runtime.generations!.swapIn(parsed.config);
    this.declarative.replace(typeof input === "string" ? input : parsed.doc);
    this.logger.info("configuration loaded", {
      hash: parsed.config.hash,
      services: parsed.config.services.length,
      routes: parsed.config.routes.length,
      plugins: parsed.config.plugins.length,
    });
  }

  /** ProxyState: a request arrived. */
  begin(): void {
    this.runtime.counters.requests++;
    this.runtime.counters.inflight++;
  }

  /** ProxyState: a request (on `snapshot`, if it got one) ended. */
  release(snapshot: GatewaySnapshot | null): void {
    this.runtime.counters.inflight--;
    if (snapshot !== null) this.runtime.generations?.release(snapshot);
  }

  // ---------------------------------------------------------------- listeners

  private adminListen(): ListenAddress | null {
    return this.opts.adminListen === undefined ? DEFAULT_ADMIN : this.opts.adminListen;
  }

  private adminHandler(): (req: IncomingMessage, res: ServerResponse) => void {
    return createAdminHandler(this.adminState(), { token: this.opts.adminToken, logger: this.logger });
  }

  /** The gateway manager: the Admin API behind its session, and what its pages read. */
  private guiServer(): GuiServer {
    const registry = this.registry!;
    const runtime = this.runtime;
    const admin = this.adminHandler();
    const peer = (req: IncomingMessage) => normalizeIp(req.socket.remoteAddress);
    return new GuiServer({
      token: this.opts.adminToken,
      admin,
      mode: this.database !== null ? "postgres" : "db-less",
      version: GATESTACK_VERSION,
      current: () => runtime.current,
      configHash: () => runtime.current?.config.hash ?? null,
      startedAt: runtime.startedAt,
      upstreamHealth: () => runtime.upstreamHealth(),
      plugins: () => registry.definitions(),
      clientIp: (req) => this.realIp.clientOf(peer(req), req),
      trustedPeer: (req) => this.realIp.isTrusted(peer(req)),
      assetsDir: () => webAssetsDir("gui"),
      logger: this.logger,
    });
  }

  private adminState(): AdminState {
    const registry = this.registry!;
    const runtime = this.runtime;
    const state: AdminState = {
      node: { node_id: runtime.nodeId, version: GATESTACK_VERSION, hostname: hostname() },
      config: () => runtime.current?.config ?? null,
      document: () => runtime.document(),
      apply: async (doc) => {
        try {
          await this.apply(doc);
          return { ok: true };
        } catch (err) {
          if (err instanceof ConfigInvalidError) return { ok: false, error: err.error };
          if (err instanceof DatabaseUnavailableError) return { ok: false, unavailable: err.message };
          throw err;
        }
      },
      upstreamHealth: (nameOrId) => runtime.current?.balancers.health(nameOrId) ?? null,
      metrics: runtime.metrics,
      pluginRoutes: () => runtime.current?.adminRoutes ?? null,
      serverStats: () => runtime.serverStats(),
      availablePlugins: () =>
        registry.definitions().map((d) => ({ name: d.name, version: d.version, priority: d.priority })),
      plugin: this.pluginLookup(),
      ...(this.database !== null ? { database: this.database } : {}),
    };
    return state;
  }

  private listen(server: Server, addr: ListenAddress, name: string): Promise<string> {
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          new ListenError(
            err.code === "EADDRINUSE",
            err.code === "EADDRINUSE"
              ? `${name} listener: address ${addr.host}:${addr.port} is already in use`
              : `${name} listener: cannot listen on ${addr.host}:${addr.port}: ${err.message}`,
            { place: `${name}_listen` },
          ),
        );
      };
      server.once("error", onError);
      server.listen(addr.port, addr.host, () => {
        server.off("error", onError);
        const a = server.address() as AddressInfo;
        const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
        const shown = host === "0.0.0.0" ? "127.0.0.1" : host === "[::]" ? "[::1]" : host;
        resolve(`http://${shown}:${a.port}`);
      });
    });
  }

  /** SIGTERM: stop accepting, let in-flight requests finish (bounded), close. */
  async drain(timeoutMs = 10_000): Promise<void> {
    this.draining = true;
    const proxy = this.proxyServer;
    if (proxy !== null) {
      proxy.close();
      proxy.closeIdleConnections();
      const deadline = Date.now() + timeoutMs;
      while (this.runtime.counters.inflight > 0 || this.busySnapshots() > 0) {
        if (Date.now() >= deadline) {
          this.logger.warn("drain timeout: closing remaining connections", {
            inflight: this.busySnapshots(),
          });
          break;
        }
        proxy.closeIdleConnections();
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    await this.cleanup();
  }

  private busySnapshots(): number {
    return this.runtime.generations?.busy() ?? 0;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Body text (Kong's message) and reason phrase of the answers to unparsable requests. */
const CLIENT_ERROR_TEXTS: Record<number, [string, string]> = {
  400: ["Bad request", "Bad Request"],
  408: ["Request timeout", "Request Timeout"],
  431: ["Request header fields too large", "Request Header Fields Too Large"],
  505: ["HTTP Version Not Supported", "HTTP Version Not Supported"],
};

/** Malformed client requests: Kong/nginx-style answers, then close. */
function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || (err as { code?: string }).code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  const code = err.code ?? "";
  const status =
    code === "HPE_HEADER_OVERFLOW"
      ? 431
      : code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? 408
        : code === "HPE_INVALID_VERSION"
          ? invalidVersionStatus((err as { rawPacket?: Buffer }).rawPacket)
          : 400;
  const [text, reason] = CLIENT_ERROR_TEXTS[status]!;
  const id = randomUUID().replaceAll("-", "");
  const body = `${text}\nrequest_id: ${id}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\nX-Kong-Request-Id: ${id}\r\n\r\n${body}`,
  );
}

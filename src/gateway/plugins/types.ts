import type { z } from "zod";
import type {
  GatewayConfig,
  GatewayConsumer,
  GatewayPluginEntry,
  GatewayRoute,
  GatewayService,
  Protocol,
} from "../config/types.js";
import type { PluginDatabase } from "./database.js";

export type { PluginDatabase } from "./database.js";

/**
 * The plugin contract (Kong style): one folder per plugin under src/gateway/plugins/<name>/
 * with `schema.ts` (a zod schema of the plugin's `config`, every field with its Kong default
 * and a `.describe()`d text from which docs are generated) and `handler.ts`; its `index.ts`
 * default-exports a `PluginDefinition`. The registry discovers folders, so a third-party
 * plugin is added by dropping a folder in (or pointing GATEWAY_PLUGIN_DIRS at one).
 *
 * Phases, in order, each optional:
 *  - access:          before proxying; may answer the request itself with ctx.exit()
 *  - responseHeaders: upstream (or exit) response head is known, body not yet sent
 *  - responseBody:    whole response body (buffered only when a plugin of the request has this
 *                     phase and — asked through wantsResponseBody — needs this response's body)
 *  - log:             after the response is finished; never delays it; errors are caught and logged
 * Within a phase plugins run by descending priority (responseHeaders/responseBody/log too,
 * as Kong does). For each plugin the pipeline picks ONE entry by Kong's scope precedence,
 * using the consumer known at that moment (so consumer-scoped entries apply to plugins
 * running after authentication).
 */
export interface PluginDefinition<C = Record<string, unknown>> {
  name: string;
  /** Kong's numeric priority: higher runs first. */
  priority: number;
  version: string;
  /** zod schema of `config` with defaults; its errors become Kong's `{ config: { field: msg } }`. */
  configSchema: z.ZodType<C>;
  /**
   * The schema in database mode, where it differs (Kong's schemas that read
   * `kong.configuration.database`: rate-limiting's `policy: cluster`). Absent: `configSchema`.
   */
  databaseConfigSchema?: z.ZodType<C>;
  /**
   * The kind of entity the plugin stores as it runs (oauth2: "oauth2_tokens"): it needs database
   * mode, and a DB-less configuration using it is refused (Kong's DB-less write error, naming it).
   * Its handlers get `env.entities` to write them.
   */
  storesEntities?: string;
  /**
   * Config fields Kong generates when left out (`auto = true`: oauth2's provision_key), filled in
   * before the schema runs — so the stored entry keeps the generated value.
   */
  generatedConfig?: Readonly<Record<string, () => unknown>>;
  /** Scopes the plugin may NOT be applied on (Kong's no_consumer etc). */
  forbiddenScopes?: ReadonlyArray<"consumer" | "route" | "service">;
  /** Called once per plugin entry when a configuration is loaded. */
  create(entry: PluginEntry<C>, env: PluginEnvironment): PluginHandler | Promise<PluginHandler>;
}

export interface PluginEntry<C> extends Omit<GatewayPluginEntry, "config"> {
  config: C;
}

/** Long-lived services a plugin may use at creation. */
export interface PluginEnvironment {
  /** The whole loaded configuration (consumers, credentials indexes). */
  config: GatewayConfig;
  credentials: CredentialIndex;
  logger: GatewayLogger;
  /** Shared Prometheus registry of the gateway process (created, and prom-client loaded, on first read). */
  metrics: import("prom-client").Registry;
  /** Kong's node id of this gateway process. */
  nodeId: string;
  /** Kong's tracing_instrumentations / tracing_sampling_rate (absent: DEFAULT_TRACING, every span at 1.0) */
  tracing?: import("./_shared/tracing-settings.js").TracingSettings;
  /** Register an Admin API route owned by this plugin (e.g. proxy-cache purge). */
  adminRoutes: AdminRouteRegistrar;
  /** Same instance across reloads when the same plugin entry id is reloaded (counters, caches). */
  previous?: PluginHandler;
  /**
   * Live gateway state for observability plugins (filled by the core): target health of every
   * Kong upstream (Kong's kong_upstream_target_health) and connection/request counters of the
   * proxy listener (Kong's kong_nginx_* metrics). Always reads the current configuration.
   */
  runtime?: GatewayRuntimeInfo;
  /** Database mode only: the gateway's database, for plugins keeping shared state (cluster counters). */
  database?: PluginDatabase;
  /**
   * Database mode only: entity writes of a plugin that stores entities as it runs (oauth2 tokens
   * and codes; the definition's `storesEntities`). Absent DB-less.
   */
  entities?: PluginEntityWriter;
}

/** One operation of a plugin's entity write. Records as the Admin API takes them (foreign keys `{ id }`). */
export type PluginEntityOp =
  | { op: "insert"; kind: import("../config/kinds.js").KindName; record: Record<string, unknown> }
  /** the whole record replaced (its id kept) */
  | {
      op: "replace";
      kind: import("../config/kinds.js").KindName;
      id: string;
      record: Record<string, unknown>;
    }
  /** `mustExist`: the write fails when the entity is gone already (a code used twice at once) */
  | { op: "delete"; kind: import("../config/kinds.js").KindName; id: string; mustExist?: boolean };

export interface PluginEntityWriter {
  /**
   * The operations in one transaction, all or none; once it resolves ok the resulting
   * configuration is served (the next request sees the entities). Never throws.
   */
  write(ops: readonly PluginEntityOp[]): Promise<{ ok: true } | { ok: false; reason: string }>;
}

/** One address of an upstream target and its health (Kong's state label values). */
export interface UpstreamTargetHealth {
  upstream: string;
  target: string;
  /** `ip:port` */
  address: string;
  state: "healthy" | "unhealthy" | "dns_error" | "healthchecks_off";
}

export interface GatewayServerStats {
  connectionsAccepted: number;
  connectionsHandled: number;
  connectionsActive: number;
  connectionsReading: number;
  connectionsWriting: number;
  connectionsWaiting: number;
  totalRequests: number;
}

export interface GatewayRuntimeInfo {
  upstreamHealth(): UpstreamTargetHealth[];
  serverStats(): GatewayServerStats;
  /** Kong's configuration_hash of the config currently served ("" before one is loaded). */
  configHash(): string;
}

export interface PluginHandler {
  access?(ctx: RequestContext): void | Promise<void>;
  responseHeaders?(ctx: RequestContext, res: ResponseHead): void | Promise<void>;
  /** Return the (possibly transformed) body. */
  responseBody?(ctx: RequestContext, res: ResponseHead, body: Buffer): Buffer | Promise<Buffer>;
  /**
   * With responseBody: does this plugin need THIS response's body? Asked once per response,
   * after the responseHeaders phase (the head is final). false: responseBody is not called for
   * this response, and when no plugin wants the body it streams to the client unbuffered.
   * Without this method every response of the plugin's routes is buffered for it.
   */
  wantsResponseBody?(ctx: RequestContext, res: ResponseHead): boolean;
  log?(ctx: RequestContext, entry: AccessLogEntry): void | Promise<void>;
  /**
   * A tracing plugin (opentelemetry): called by the core before the access phase of a request
   * on a route this entry applies to (the first such plugin of the route's plan), it returns
   * the recorder of the request's spans, which becomes `ctx.trace`. Routes without such a
   * plugin pay nothing for tracing. The core tells the tracer when the exchange has finished
   * (`RequestTracer.finished`), so a tracer needs no log phase (nor the log entry one costs).
   */
  startTrace?(ctx: RequestContext): RequestTracer;
  /** Release timers, connections; called on config swap (unless handed on as `previous`) and shutdown. */
  close?(): void | Promise<void>;
}

/** The plugin phases the core times for a tracer (Kong's span names: kong.<phase>.plugin.<name>). */
export type TracedPhase = "access" | "header_filter" | "body_filter";

/**
 * What the core tells a request's tracer (ctx.trace). Times are performance.now() marks.
 * Every call is cheap and never throws.
 */
export interface RequestTracer {
  /** the trace id (32 hex digits): also in the access log, so logs and traces join */
  readonly traceId: string;
  /** whether the trace records anything (sampled): `finished` is only called for such a trace */
  readonly sampled: boolean;
  /** the trace id as each injected propagation format wrote it (Kong's log field `trace_id`), or null */
  readonly traceIdFormats: Readonly<Record<string, string>> | null;
  /** one plugin's handler of one phase ran from `start` to `end` */
  pluginPhase(phase: TracedPhase, plugin: string, start: number, end: number): void;
  /** the balancer picked `ip:port` (of `hostname`) and an upstream attempt starts now */
  attemptStarted(ip: string, port: number, hostname: string): void;
  /** the attempt under way got a response head (`status`) or failed (status 0 and the error) */
  attemptEnded(status: number, error: string | null): void;
  /** a sampled trace's exchange has finished (the response sent, or the client gone), before the log phase */
  finished(exchange: FinishedExchange): void;
}

/** What the core tells a request's tracer of the finished exchange (`RequestTracer.finished`). */
export interface FinishedExchange {
  /** the status sent (499: the client went away first), as the log entry's response.status */
  readonly status: number;
  /** the request target as received, credentials in its query redacted (the log entry's request.uri) */
  readonly uri: string;
  /** performance.now() mark of the end */
  readonly end: number;
}

/** Lookup of credentials by plugin; built once per loaded config. */
export interface CredentialIndex {
  keyAuth(
    key: string,
  ): { credential: import("../config/types.js").KeyAuthCredential; consumer: GatewayConsumer } | null;
  jwt(key: string): { credential: import("../config/types.js").JwtSecret; consumer: GatewayConsumer } | null;
  basicAuth(username: string): {
    credential: import("../config/types.js").BasicAuthCredential;
    consumer: GatewayConsumer;
    /** Kong's salted hash of the password (crypto.ts), whichever way it was written */
    passwordHash: string;
  } | null;
  hmacAuth(
    username: string,
  ): { credential: import("../config/types.js").HmacAuthCredential; consumer: GatewayConsumer } | null;
  aclGroups(consumerId: string): string[];
  consumer(idOrUsername: string): GatewayConsumer | null;
  /** oauth2: an application by client_id, or by its id (a token's `credential`) */
  oauth2Client(clientId: string): {
    credential: import("../config/types.js").OAuth2Credential;
    consumer: GatewayConsumer;
  } | null;
  oauth2ClientById(id: string): {
    credential: import("../config/types.js").OAuth2Credential;
    consumer: GatewayConsumer;
  } | null;
  oauth2Token(accessToken: string): import("../config/types.js").OAuth2Token | null;
  oauth2RefreshToken(refreshToken: string): import("../config/types.js").OAuth2Token | null;
  oauth2Code(code: string): import("../config/types.js").OAuth2AuthorizationCode | null;
}

export interface GatewayLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface AdminRouteRegistrar {
  add(
    method: "GET" | "DELETE" | "POST",
    /** path pattern with :params, e.g. "/proxy-cache/:key" */
    path: string,
    handler: (req: AdminRequest) => AdminResponse | Promise<AdminResponse>,
  ): void;
}
export interface AdminRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}
export interface AdminResponse {
  status: number;
  body?: unknown;
}

/** A response status + headers as seen by responseHeaders/responseBody. Headers are mutable. */
export interface ResponseHead {
  status: number;
  /** lowercased names; mutate to change what the client gets */
  headers: Record<string, string | string[]>;
  /** "upstream" when proxied, "exit" when a plugin or the gateway answered */
  source: "upstream" | "exit";
}

/** The request as it will be sent upstream; plugins mutate it in access. */
export interface UpstreamRequest {
  method: string;
  /** path sent upstream (already strip_path/service.path joined) */
  path: string;
  query: URLSearchParams;
  /** lowercased names */
  headers: Record<string, string | string[]>;
  /** Replace the body (request-transformer); undefined means stream the client body as is. */
  body?: Buffer;
}

export interface ExitOptions {
  headers?: Record<string, string | string[]>;
}

export interface RequestContext {
  readonly requestId: string;
  /** process.hrtime.bigint() when the request arrived */
  readonly startedAt: bigint;
  /** Client address after trusted_ips / X-Forwarded-For resolution. */
  readonly clientIp: string;
  /**
   * The downstream connection (optional; filled by the core when known): local address and
   * port the request came in on, a per-process connection number and how many requests
   * this connection has carried so far (nginx's $connection / $connection_requests).
   */
  readonly connection?: { localAddress: string; localPort: number; id: number; requests: number };
  readonly protocol: "http" | "https";
  /**
   * The connection itself (filled by the core): its scheme (TLS or not, whatever a forwarded header
   * says — Kong's ngx.var.scheme) and whether the peer is one of trusted_ips (whose X-Forwarded-*
   * headers are believed). oauth2's HTTPS check reads it.
   */
  readonly peer?: { readonly scheme: "http" | "https"; readonly trusted: boolean };
  /**
   * The matched route. Always set in the access phase. null only in the response and log
   * phases of a request that matched no route (the gateway's 404): as Kong's global plugins
   * iterator, GLOBAL plugins' responseHeaders / responseBody / log phases run for requests the
   * gateway answers before the access phase (no route matched; https required — that one has
   * its route), never their access phase.
   */
  readonly route: GatewayRoute | null;
  /** The route's service (null for a service-less route, and with `route` null). */
  readonly service: GatewayService | null;
  /** The downstream request as received (read-only view). */
  readonly request: {
    method: string;
    /** raw path as received */
    path: string;
    query: URLSearchParams;
    /**
     * The query string as received, not decoded, without the `?` ("" when none): Kong's
     * kong.request.get_raw_query(). `path` and this make the request URI as the client sent it
     * (hmac-auth signs it).
     */
    rawQuery: string;
    /** The client's HTTP version, "1.0", "1.1" or "2.0" (Kong's get_http_version). */
    httpVersion: string;
    /** lowercased names */
    headers: Readonly<Record<string, string | string[] | undefined>>;
    /**
     * Every header as the list of its values, one per header line (Node's
     * `headersDistinct`): `headers` joins repeated lines of most fields with ", ", this
     * tells a repeated `apikey: a` / `apikey: b` apart from `apikey: a, b` (Kong's
     * get_headers gives a table for repeated headers). Lowercased names.
     */
    headersDistinct: Readonly<Record<string, string[] | undefined>>;
    host: string;
    /** Buffers the client body once (bounded) and returns it; later forwarded from the buffer. */
    readBody(limitBytes?: number): Promise<Buffer>;
    contentLength: number | null;
  };
  readonly uriCaptures: Record<string, string> | null;
  readonly upstream: UpstreamRequest;
  /** Consumer identified by an auth plugin (or anonymous). */
  consumer: GatewayConsumer | null;
  credential: { id: string; consumer: string | null; identifier?: string } | null;
  /** ACL groups of the authenticated consumer, filled by auth plugins / acl. */
  authenticatedGroups: string[] | null;
  /** Headers to add/override on the response sent to the client (any phase before body). */
  readonly downstreamHeaders: Record<string, string | string[]>;
  /** The request's tracer when a tracing plugin applies to the route (set by the core), else null. */
  trace: RequestTracer | null;
  /** Per-request state private to a plugin (Kong's kong.ctx.plugin). */
  pluginState<T>(pluginName: string, init: () => T): T;
  /** Per-request state shared by all plugins (Kong's kong.ctx.shared). */
  readonly shared: Map<string, unknown>;
  /**
   * Answer the request now (Kong's kong.response.exit). A string body is sent as-is,
   * an object as JSON; Kong's `{ message }` shape is produced by `exitMessage`.
   * The remaining access handlers are skipped; responseHeaders and log still run.
   */
  exit(status: number, body?: string | object | Buffer, options?: ExitOptions): void;
  exitMessage(status: number, message: string, options?: ExitOptions): void;
  readonly exited: boolean;
}

/**
 * The log phase's entry: the http-log/file-log payload basis (Kong's serializer shape). The
 * core builds its costly parts lazily: `request` and `response` are views whose `headers`,
 * `querystring`, `url` and `size` are computed on first read (and then kept); read the
 * fields, or serialize with JSON.stringify (the views have toJSON) — don't object-spread
 * them. Credentials are redacted (proxy/log-redaction.ts): header values, and query arguments
 * in `querystring` and in the query part of `uri`, `url` and `upstream_uri`.
 */
export interface AccessLogEntry {
  request: {
    id: string;
    method: string;
    uri: string;
    url: string;
    size: number;
    querystring: Record<string, string | string[]>;
    headers: Record<string, string | string[]>;
  };
  response: { status: number; size: number; headers: Record<string, string | string[]> };
  latencies: { request: number; kong: number; proxy: number; gateway: number; upstream: number };
  route: { id: string; name: string | null } | null;
  service: { id: string; name: string | null; host: string; port: number; protocol: string } | null;
  consumer: { id: string; username: string | null } | null;
  /** The credential an auth plugin authenticated with (Kong's authenticated_entity); absent otherwise. */
  authenticated_entity?: { id: string; consumer_id: string | null };
  upstream_uri: string;
  client_ip: string;
  started_at: number;
  /**
   * The upstream addresses tried, in order; `[]` for a matched route the gateway or a plugin
   * answered without proxying (a 401); absent when no route matched.
   */
  tries?: Array<{ ip: string; port: number; balancer_latency?: number }>;
}

export type { Protocol };

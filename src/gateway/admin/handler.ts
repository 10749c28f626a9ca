/**
 * The Admin API (Kong's, in DB-less mode): read-only entity endpoints, GET/POST /config
 * (the one write: an atomic swap of the whole configuration), /status, /metrics, and the
 * routes plugins register (e.g. proxy-cache purge).
 *
 * `createAdminHandler(state, { token })` returns a node:http request handler; the server
 * binds it to the admin listener (loopback by default; a token is required elsewhere).
 *
 * Kong's answers are kept: paginated `{ "data": [...], "next": null }` lists (pagination.ts),
 * 404 `{"message":"Not found"}`, entity writes answered as Kong's DB-less mode answers them
 * (writes.ts: 404 for a missing parent, 400 for an invalid body, then 405 `{"code":12,"name":
 * "operation unsupported","message":"cannot create 'services' entities when not using a
 * database"}`), 400 code-14 errors for invalid configurations (the previous configuration
 * keeps serving), 201 with the loaded entities on success, 304 for `?check_hash=1` with an
 * identical configuration.
 * Secrets never leave DB-less: credentials are redacted in GET /config and credential listings.
 * In database mode listings show credentials as Kong does (keys, secrets, basic-auth's salted
 * hash — no password as sent is stored); GET /config stays redacted.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { hostname as osHostname } from "node:os";
import { hashDeclarative } from "../config/hash.js";
import { isKindName, KINDS, type KindName } from "../config/kinds.js";
import { parseDocumentText } from "../config/text.js";
import type { GatewayConfig } from "../config/types.js";
import { statusBody } from "../status.js";
import { parseConfigBody } from "./config-body.js";
import { ADMIN_COLLECTIONS, type AdminCollection, allOf, findEntity, viewOf } from "./entities.js";
import { BodyTooLargeError, readBody, sendJson, sendMessage, tokenAccepted } from "./http.js";
import { type PageKeys, paginate } from "./pagination.js";
import { CREDENTIAL_SECRETS, REDACTED, redactDocument } from "./redact.js";
import type { AdminOptions, AdminState } from "./types.js";
import {
  answerWrite,
  CREDENTIAL_ROOTS,
  CREDENTIAL_SEGMENTS,
  childKind,
  type DatabaseWrites,
  lookup,
  unsupportedOpaqueWrite,
  type WriteAnswer,
  type WriteMethod,
  type WriteRequest,
} from "./writes.js";

export type { AdminOptions, AdminState } from "./types.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const DEFAULT_MAX_BODY = 64 * 1024 * 1024;

const EMPTY_CONFIG: GatewayConfig = {
  format_version: "3.0",
  services: [],
  routes: [],
  upstreams: [],
  targets: [],
  consumers: [],
  keyauth_credentials: [],
  jwt_secrets: [],
  basicauth_credentials: [],
  hmacauth_credentials: [],
  oauth2_credentials: [],
  oauth2_authorization_codes: [],
  oauth2_tokens: [],
  acls: [],
  plugins: [],
  hash: "",
};

type CredentialCollection =
  | "keyauth_credentials"
  | "jwt_secrets"
  | "basicauth_credentials"
  | "hmacauth_credentials"
  | "oauth2_credentials"
  | "oauth2_tokens"
  | "acls";
type Credential = GatewayConfig[CredentialCollection][number];
type Entity = Parameters<typeof viewOf>[1];

/** First path segments of entity endpoints (writes to them get Kong's DB-less answers). */
const ENTITY_ROOTS = new Set<string>([
  ...ADMIN_COLLECTIONS,
  ...Object.keys(CREDENTIAL_ROOTS),
  "certificates",
  "snis",
  "ca_certificates",
  "vaults",
  "keys",
  "key-sets",
]);

/** Kong deactivates these (`/targets`, `/targets/{target}`…): 404 for every method. */
const DISABLED_ROOTS = new Set(["targets"]);

const WRITE_METHODS = new Set<string>(["POST", "PUT", "PATCH", "DELETE"]);

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function createAdminHandler(state: AdminState, opts: AdminOptions = {}): Handler {
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const api = new AdminApi(state, maxBody, opts.token !== undefined && opts.token !== "");
  return (req, res) => {
    if (!tokenAccepted(req, opts.token)) {
      req.resume();
      sendJson(res, 401, { message: "Unauthorized" }, { "www-authenticate": 'Bearer realm="gateway-admin"' });
      return;
    }
    api.handle(req, res).catch((e: unknown) => {
      // the method and the error only: a path can hold a credential (/consumers/x/key-auth/<key>)
      opts.logger?.error("admin API request failed", {
        method: req.method,
        error: (e as Error)?.message ?? String(e),
      });
      if (!res.headersSent) sendMessage(res, 500, "An unexpected error occurred");
      else res.destroy(e instanceof Error ? e : undefined);
    });
  };
}

class AdminApi {
  /** Database mode's writes: the outcome answered with the entity as the gateway now serves it. */
  private readonly databaseWrites: DatabaseWrites | null;

  constructor(
    private readonly state: AdminState,
    private readonly maxBody: number,
    private readonly tokenRequired: boolean,
  ) {
    const database = state.database;
    this.databaseWrites = database
      ? {
          run: async (write) => {
            const r = await database.transact(write);
            if ("unavailable" in r)
              return { status: 503, body: { message: `database unavailable: ${r.unavailable}` } };
            const { outcome, config } = r;
            if ("body" in outcome) return { status: outcome.status, body: outcome.body };
            if (outcome.status === 204 || config === null) return { status: 204 };
            return { status: outcome.status, body: this.writtenView(config, outcome.kind, outcome.id) };
          },
        }
      : null;
  }

  private config(): GatewayConfig {
    return this.state.config() ?? EMPTY_CONFIG;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://admin.invalid");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const segments = path.split("/").filter((s) => s !== "");
    const method = (req.method ?? "GET").toUpperCase();
    const query = url.searchParams;
    await this.state.database?.catchUp();

    const pluginRoute = this.state.pluginRoutes()?.match(method, path);
    if (pluginRoute) {
      await this.pluginRoute(req, res, pluginRoute, query);
      return;
    }

    if (path === "/config") {
      if (method === "GET" || method === "HEAD") return this.getConfig(res);
      if (method === "POST") return this.postConfig(req, res, query);
      return this.methodNotAllowed(req, res);
    }

    if (segments.length > 0 && DISABLED_ROOTS.has(segments[0]!)) {
      req.resume();
      sendMessage(res, 404, "Not found");
      return;
    }
    const readOnly = method === "GET" || method === "HEAD";
    if (!readOnly) {
      if (segments.length > 0 && ENTITY_ROOTS.has(segments[0]!) && WRITE_METHODS.has(method)) {
        return this.entityWrite(req, res, method as WriteMethod, segments, query);
      }
      req.resume();
      if (this.knownReadPath(segments)) {
        sendMessage(res, 405, "Method not allowed");
        return;
      }
      sendMessage(res, 404, "Not found");
      return;
    }

    switch (path) {
      case "/":
        sendJson(res, 200, this.root());
        return;
      case "/status":
        sendJson(res, 200, this.status());
        return;
      case "/metrics":
        return this.metrics(res);
      case "/plugins/enabled":
        sendJson(res, 200, {
          enabled_plugins: this.state
            .availablePlugins()
            .map((p) => p.name)
            .sort(),
        });
        return;
    }
    if (!this.entityRead(segments, query, path, res)) sendMessage(res, 404, "Not found");
  }

  /** POST/PUT/PATCH/DELETE on an entity endpoint: the body read, then writes.ts decodes and checks it. */
  private async entityWrite(
    req: IncomingMessage,
    res: ServerResponse,
    method: WriteMethod,
    segments: string[],
    query: URLSearchParams,
  ): Promise<void> {
    let body: WriteRequest["body"] = null;
    if (method === "DELETE") {
      req.resume();
    } else {
      const raw = await this.writeBody(req);
      if (!Buffer.isBuffer(raw)) return sendAnswer(res, raw);
      body = { contentType: req.headers["content-type"], raw };
    }
    const request: WriteRequest = { method, segments: segments.map(decodeSegment), body, query };
    const answer =
      (await answerWrite(this.config(), (name) => this.state.plugin(name), request, this.databaseWrites)) ??
      (isCollection(segments[0]!) ? { status: 404, body: { message: "Not found" } } : null) ??
      unsupportedOpaqueWrite(method, segments);
    sendAnswer(res, answer);
  }

  /** The raw body of an entity write, or the answer when it cannot be read (413 past the limit). */
  private async writeBody(req: IncomingMessage): Promise<Buffer | WriteAnswer> {
    try {
      return await readBody(req, this.maxBody);
    } catch (e) {
      if (e instanceof BodyTooLargeError)
        return { status: 413, body: { message: "Request size limit exceeded" } };
      return { status: 400, body: { message: "could not read the request body" } };
    }
  }

  private knownReadPath(segments: string[]): boolean {
    const first = segments[0];
    return segments.length === 0 || first === "status" || first === "metrics" || first === "config";
  }

  private methodNotAllowed(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    sendMessage(res, 405, "Method not allowed");
  }

  private root(): Record<string, unknown> {
    const config = this.config();
    const available: Record<string, { version: string; priority: number }> = {};
    for (const p of [...this.state.availablePlugins()].sort((a, b) => a.name.localeCompare(b.name))) {
      available[p.name] = { version: p.version, priority: p.priority };
    }
    return {
      tagline: "Welcome to kong",
      version: this.state.node.version,
      node_id: this.state.node.node_id,
      hostname: this.state.node.hostname || osHostname(),
      lua_version: null,
      plugins: {
        available_on_server: available,
        enabled_in_cluster: [...new Set(config.plugins.map((p) => p.name))].sort(),
      },
      configuration: {
        database: this.state.database ? "postgres" : "off",
        role: "traditional",
        router_flavor: "traditional_compatible",
        admin_auth: this.tokenRequired ? "token" : "off",
      },
      timers: { running: 0, pending: 0 },
      pids: { master: process.pid, workers: [process.pid] },
    };
  }

  /**
   * The entity a write just stored, as Kong answers it — credentials with their key and secret
   * (Kong's create response is where a generated key is learnt), plugin configs redacted as in reads.
   */
  private writtenView(config: GatewayConfig, kind: KindName, id: string): Record<string, unknown> {
    if (isCollection(kind)) {
      const e = findEntity(config, kind, id);
      return e === undefined ? { id } : this.view(kind, e);
    }
    const c = (config[kind as CredentialCollection] as Credential[]).find((x) => x.id === id);
    return c === undefined ? { id } : createdAt(withRefs(kind, c), this.state.database);
  }

  /**
   * A credential as listed: DB-less, its secret redacted; in database mode as Kong shows it (the
   * key, the secret, basic-auth's salted hash — never the password as sent).
   */
  private credentialView(collection: string, c: Credential): Record<string, unknown> {
    const database = this.state.database;
    if (!database) return credentialView(collection, c);
    return createdAt(withRefs(collection, c), database);
  }

  private view(collection: AdminCollection, e: Entity): Record<string, unknown> {
    return stamped(viewOf(collection, e), this.state.database);
  }

  private status(): Record<string, unknown> {
    return statusBody({
      configHash: () => this.state.config()?.hash || null,
      serverStats: () => this.state.serverStats(),
      metrics: this.state.metrics,
      ...(this.state.database ? { databaseReachable: () => this.state.database!.reachable() } : {}),
    });
  }

  private async metrics(res: ServerResponse): Promise<void> {
    const { text, contentType } = await this.state.metrics.render();
    res.writeHead(200, {
      "content-type": contentType,
      "content-length": Buffer.byteLength(text),
    });
    res.end(text);
  }

  private getConfig(res: ServerResponse): void {
    const doc = this.state.document() ?? { _format_version: "3.0", _transform: true };
    sendJson(res, 200, { config: loadYaml().stringify(redactDocument(doc), { lineWidth: 0 }) });
  }

  private async postConfig(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, this.maxBody);
    } catch (e) {
      if (e instanceof BodyTooLargeError) sendMessage(res, 413, "Request size limit exceeded");
      else sendMessage(res, 400, "could not read the request body");
      return;
    }
    const parsed = await parseConfigBody(req.headers["content-type"], body, query);
    if (!parsed.ok) {
      sendMessage(res, parsed.status, parsed.message);
      return;
    }
    if (parsed.checkHash && this.identicalToCurrent(parsed.input)) {
      res.writeHead(304);
      res.end();
      return;
    }
    const result = await this.state.apply(parsed.input);
    if ("unavailable" in result) {
      sendJson(res, 503, { message: result.unavailable });
      return;
    }
    if (!result.ok) {
      sendJson(res, 400, result.error);
      return;
    }
    sendJson(res, 201, this.loadedEntities());
  }

  private identicalToCurrent(input: string | object): boolean {
    const current = this.state.config()?.hash;
    if (!current) return false;
    let doc: unknown = input;
    if (typeof input === "string") {
      const p = parseDocumentText(input);
      if (!p.ok) return false;
      doc = p.doc;
    }
    return hashDeclarative(doc) === current;
  }

  /** Kong answers a successful POST /config with the flattened entities, keyed by id. */
  private loadedEntities(): Record<string, unknown> {
    const config = this.config();
    const out: Record<string, unknown> = {};

    for (const c of ADMIN_COLLECTIONS) {
      const items = allOf(config, c);
      if (items.length === 0) continue;
      out[c] = Object.fromEntries(items.map((e) => [e.id, this.view(c, e)]));
    }
    for (const collection of Object.values(CREDENTIAL_SEGMENTS)) {
      const items: Credential[] = config[collection as CredentialCollection];
      if (items.length === 0) continue;
      out[collection] = Object.fromEntries(items.map((e) => [e.id, this.credentialView(collection, e)]));
    }
    out._format_version = config.format_version;
    return out;
  }

  private async pluginRoute(
    req: IncomingMessage,
    res: ServerResponse,
    route: NonNullable<ReturnType<NonNullable<ReturnType<AdminState["pluginRoutes"]>>["match"]>>,
    query: URLSearchParams,
  ): Promise<void> {
    let body: unknown;
    try {
      const raw = await readBody(req, this.maxBody);
      const text = raw.toString("utf8");
      body = text === "" ? undefined : JSON.parse(text);
    } catch (e) {
      sendMessage(
        res,
        e instanceof BodyTooLargeError ? 413 : 400,
        e instanceof BodyTooLargeError ? "Request size limit exceeded" : "Cannot parse JSON body",
      );
      return;
    }
    const answer = await route.handler({ params: route.params, query, body });
    if (answer.status === 204 || answer.body === undefined) {
      res.writeHead(answer.status, { "content-length": "0" });
      res.end();
      return;
    }
    sendJson(res, answer.status, answer.body);
  }

  /**
   * A list's order and page keys: DB-less as the configuration lists it, paged by position; in
   * database mode by (created_at, id), paged by that key, so writes between pages neither repeat
   * nor skip an entity (Kong pages PostgreSQL by primary key).
   */
  private pageOrder<T extends { id: string }>(
    items: readonly T[],
  ): { sorted: readonly T[]; keys?: PageKeys<T> } {
    const database = this.state.database;
    if (!database) return { sorted: items };
    const keyOf = (e: T) => `${String(database.timestamps(e.id)?.created_at ?? 0).padStart(12, "0")}:${e.id}`;
    const keyed = items.map((e) => ({ key: keyOf(e), e }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { sorted: keyed.map((k) => k.e), keys: { keyOf } };
  }

  /** Kong's top-level credential endpoints: `/key-auths`, `/key-auths/{key or id}`, `…/consumer`. */
  private credentialRead(
    kind: KindName,
    key: string | undefined,
    sub: string | undefined,
    query: URLSearchParams,
    path: string,
    res: ServerResponse,
  ): boolean {
    const config = this.config();
    if (key === undefined) {
      const { sorted, keys } = this.pageOrder<Credential>(config[kind as CredentialCollection]);
      const page = paginate(
        sorted,
        (c) => this.credentialView(kind, c),
        { query, path, topLevel: true },
        keys,
      );
      sendJson(res, page.ok ? 200 : 400, page.ok ? page.body : page.error);
      return true;
    }
    if (sub !== undefined && sub !== "consumer") return false;
    const found = lookup(config, kind, key) as unknown as Credential | undefined;
    const owner = found !== undefined && "consumer" in found ? found.consumer : undefined;
    const consumer =
      owner !== undefined && sub !== undefined ? findEntity(config, "consumers", owner) : undefined;
    if (found === undefined || (sub !== undefined && consumer === undefined))
      sendMessage(res, 404, "Not found");
    else if (consumer !== undefined) sendJson(res, 200, this.view("consumers", consumer));
    else sendJson(res, 200, this.credentialView(kind, found));
    return true;
  }

  /** GET on entity endpoints; false when the path is not one of them. */
  private entityRead(segments: string[], query: URLSearchParams, path: string, res: ServerResponse): boolean {
    const config = this.config();
    const [root, key, sub, subKey, extra] = segments.map(decodeSegment);
    if (root !== undefined && Object.hasOwn(CREDENTIAL_ROOTS, root) && subKey === undefined)
      return this.credentialRead(CREDENTIAL_ROOTS[root]!, key, sub, query, path, res);
    if (!root || !isCollection(root) || extra !== undefined) return false;
    const list = <T extends { id: string; tags: readonly string[] | null }>(
      items: readonly T[],
      view: (item: T) => Record<string, unknown>,
    ) => {
      const { sorted, keys } = this.pageOrder(items);
      const page = paginate(sorted, view, { query, path, topLevel: key === undefined }, keys);
      sendJson(res, page.ok ? 200 : 400, page.ok ? page.body : page.error);
      return true;
    };
    const views = (collection: AdminCollection) => (e: ReturnType<typeof allOf>[number]) =>
      this.view(collection, e);
    if (key === undefined && root === "consumers" && query.has("custom_id")) {
      // Kong's search by custom_id: the one consumer (or none) as a list without pages
      const customId = query.get("custom_id");
      if (customId === "") sendMessage(res, 400, "custom_id must be an unempty string");
      else {
        const found = config.consumers.filter((c) => c.custom_id === customId);
        sendJson(res, 200, { data: found.map(views("consumers")), next: null });
      }
      return true;
    }
    if (key === undefined) return list(allOf(config, root), views(root));
    const entity = findEntity(config, root, key);
    if (!entity) {
      sendMessage(res, 404, "Not found");
      return true;
    }
    if (sub === undefined) {
      sendJson(res, 200, this.view(root, entity));
      return true;
    }
    const id = entity.id;
    if (root === "services" && sub === "routes" && subKey === undefined) {
      return list(
        config.routes.filter((r) => r.service === id),
        views("routes"),
      );
    }
    if (
      (root === "services" || root === "routes" || root === "consumers") &&
      sub === "plugins" &&
      subKey === undefined
    ) {
      const field = root === "services" ? "service" : root === "routes" ? "route" : "consumer";
      return list(
        config.plugins.filter((p) => p[field] === id),
        views("plugins"),
      );
    }
    if (root === "routes" && sub === "service" && subKey === undefined) {
      const service = config.routes.find((r) => r.id === id)?.service;
      const s = service ? findEntity(config, "services", service) : undefined;
      if (s) sendJson(res, 200, this.view("services", s));
      else sendMessage(res, 404, "Not found");
      return true;
    }
    if (root === "upstreams" && sub === "targets") {
      const targets = config.targets.filter((t) => t.upstream === id);
      if (subKey === undefined || subKey === "all") return list(targets, views("targets"));
      const t = targets.find((x) => x.id === subKey.toLowerCase() || x.target === subKey);
      if (t) sendJson(res, 200, this.view("targets", t));
      else sendMessage(res, 404, "Not found");
      return true;
    }
    if (root === "upstreams" && sub === "health" && subKey === undefined) {
      const health = this.state.upstreamHealth(id);
      if (health === null) sendMessage(res, 404, "Not found");
      else
        sendJson(res, 200, {
          data: health,
          total: health.length,
          next: null,
          node_id: this.state.node.node_id,
        });
      return true;
    }
    const credentials = root === "consumers" && sub !== undefined ? CREDENTIAL_SEGMENTS[sub] : undefined;
    if (credentials !== undefined && subKey === undefined) {
      const all: Credential[] = config[credentials as CredentialCollection];
      return list(
        all.filter((c) => "consumer" in c && c.consumer === id),
        (c) => this.credentialView(credentials, c),
      );
    }
    // a child through its parent: /services/{s}/routes/{r}, /consumers/{c}/key-auth/{k}, …/plugins/{p}
    const child = subKey !== undefined ? childKind(root, sub) : null;
    if (child !== null) {
      const found = lookup(config, child, subKey!, { field: KINDS[root].children[child]!, id });
      if (found === undefined) sendMessage(res, 404, "Not found");
      else if (isCollection(child)) sendJson(res, 200, this.view(child, found as unknown as Entity));
      else sendJson(res, 200, this.credentialView(child, found as unknown as Credential));
      return true;
    }
    return false;
  }
}

function isCollection(s: string): s is AdminCollection {
  return (ADMIN_COLLECTIONS as readonly string[]).includes(s);
}

/** An entity view with Kong's created_at / updated_at where the store keeps them (database mode). */
function stamped(view: Record<string, unknown>, database: AdminState["database"]): Record<string, unknown> {
  const t = database?.timestamps(String(view.id));
  return t === undefined ? view : { ...view, created_at: t.created_at, updated_at: t.updated_at };
}

/** Credentials carry Kong's created_at only (their schemas have no updated_at). */
function createdAt(view: Record<string, unknown>, database: AdminState["database"]): Record<string, unknown> {
  const t = database?.timestamps(String(view.id));
  return t === undefined ? view : { ...view, created_at: t.created_at };
}

/** A credential with its foreign keys as Kong shows them: `{ "id": … }`, or null when unset. */
function withRefs(collection: string, c: Credential): Record<string, unknown> {
  const view: Record<string, unknown> = { ...c };
  const foreign = isKindName(collection) ? KINDS[collection].foreign : { consumer: "consumers" };
  for (const field of Object.keys(foreign)) {
    const ref = view[field];
    if (ref !== undefined) view[field] = typeof ref === "string" ? { id: ref } : null;
  }
  if (collection === "oauth2_tokens") delete view.tags; // not a field of Kong's tokens
  return view;
}

function credentialView(collection: string, c: Credential): Record<string, unknown> {
  const view = withRefs(collection, c);
  for (const secret of CREDENTIAL_SECRETS[collection] ?? []) if (secret in view) view[secret] = REDACTED;
  return view;
}

function sendAnswer(res: ServerResponse, answer: WriteAnswer): void {
  if (answer.body === undefined) {
    res.writeHead(answer.status, { "content-length": "0" });
    res.end();
  } else sendJson(res, answer.status, answer.body);
}

const requireCjs = createRequire(import.meta.url);

/** The `yaml` package (~8 MB resident), loaded only when GET /config asks for the YAML text. */
function loadYaml(): typeof import("yaml") {
  return requireCjs("yaml") as typeof import("yaml");
}

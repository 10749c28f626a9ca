/**
 * The developer portal's listener (Kong's portal_gui_listen): for API consumers, so no login, and
 * nothing on it is secret. GET only:
 *  - `/` — the page (page.ts) listing every service; Swagger UI (dist/portal/assets) shows the
 *    documents, one per service;
 *  - `/services.json` — the list, with each document's address;
 *  - `/specs/<service>.json` — a service's OpenAPI document with the gateway's paths and
 *    authentication (catalogue.ts), its `servers` the portal's public base;
 *  - `/assets/<file>` — the built front-end's files, and only those.
 * Everything is addressed relatively, so the portal works below any prefix Caddy strips (`/portal`).
 * CSP `default-src 'self'`: no inline script, no other origin (but the API's, when it is elsewhere);
 * inline styles only, which Swagger UI sets.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";
import type { GatewayService } from "../config/types.js";
import type { GatewayLogger } from "../plugins/types.js";
import type { GatewaySnapshot } from "../snapshot.js";
import type { UpstreamPools } from "../transport/dispatch.js";
import { webAssetsDir } from "../web-assets.js";
import { type ServiceEntry, serviceDocument, serviceEntry, serviceName } from "./catalogue.js";
import {
  DEFAULT_SPEC_FETCH,
  fetchSpec,
  SpecCache,
  type SpecFetchOptions,
  type SpecResult,
} from "./fetch-spec.js";
import { indexPage } from "./page.js";

export interface PortalOptions {
  /** the app's path of its OpenAPI document (default /openapi.json) */
  specPath?: string;
  /** the documents' `servers` URL: where "Try it out" sends requests (default "/": the portal's origin, through Caddy) */
  serverUrl?: string;
  /** how long a fetched document is reused, ms (default 10000) */
  cacheMs?: number;
  /** the longest a document fetch may take, ms (default 3000) */
  timeoutMs?: number;
  /** the built front-end (default dist/portal of the package, none when it was not built) */
  assetsDir?: string | null;
}

export interface PortalSource {
  /** the snapshot being served (null before a configuration is loaded) */
  current(): GatewaySnapshot | null;
  pools: UpstreamPools;
  logger: GatewayLogger;
}

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
  ".html": "text/html; charset=utf-8",
};

/** The front-end's files by name, read once (a fixed set: nothing else on disk is ever served). */
class Assets {
  readonly template: string | null;
  private readonly files = new Map<string, Buffer>();

  constructor(dir: string | null) {
    if (dir === null) {
      this.template = null;
      return;
    }
    this.template = readFileSync(join(dir, "index.html"), "utf8");
    let names: string[] = [];
    try {
      names = readdirSync(join(dir, "assets"));
    } catch {
      // no assets folder: the page alone
    }
    for (const name of names) {
      if (CONTENT_TYPES[extname(name)] !== undefined && !name.startsWith(".")) {
        this.files.set(name, readFileSync(join(dir, "assets", name)));
      }
    }
  }

  get(name: string): Buffer | undefined {
    return this.files.get(name);
  }
}

function contentSecurityPolicy(serverUrl: string): string {
  let api = "";
  try {
    const u = new URL(serverUrl);
    if (u.protocol === "http:" || u.protocol === "https:") api = ` ${u.origin}`;
  } catch {
    // relative: the portal's own origin
  }
  // Swagger UI sets a few inline styles (style attributes): allowed for styles, never for scripts
  return `default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'${api}; frame-ancestors 'self'; base-uri 'self'; form-action 'self'`;
}

export function createPortalHandler(
  source: PortalSource,
  options: PortalOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const fetchOptions: SpecFetchOptions = {
    ...DEFAULT_SPEC_FETCH,
    ...(options.specPath !== undefined ? { specPath: options.specPath } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.cacheMs !== undefined ? { cacheMs: options.cacheMs } : {}),
  };
  const serverUrl = options.serverUrl ?? "/";
  const assets = new Assets(options.assetsDir === undefined ? webAssetsDir("portal") : options.assetsDir);
  const cache = new SpecCache(fetchOptions.cacheMs);
  const csp = contentSecurityPolicy(serverUrl);

  const documentOf = (snapshot: GatewaySnapshot, service: GatewayService): Promise<SpecResult> =>
    cache
      .get(`${snapshot.config.hash}|${service.id}`, () =>
        fetchSpec(source.pools, snapshot.balancers.forService(service), service, fetchOptions),
      )
      .then((fetched) => serviceDocument(snapshot.config, service, fetched, serverUrl));

  const catalogue = async (snapshot: GatewaySnapshot | null): Promise<ServiceEntry[]> => {
    if (snapshot === null) return [];
    const services = snapshot.config.services.filter((s) => s.enabled);
    const docs = await Promise.all(services.map((s) => documentOf(snapshot, s)));
    return services
      .map((s, i) => serviceEntry(snapshot.config, s, docs[i]!))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    cacheControl = "no-store",
  ) => {
    res.writeHead(status, {
      "content-type": type,
      "content-length": Buffer.byteLength(body),
      "cache-control": cacheControl,
      "content-security-policy": csp,
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  };
  const json = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown) =>
    send(req, res, status, "application/json; charset=utf-8", `${JSON.stringify(body)}\n`);

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      json(req, res, 405, { message: "Method not allowed" });
      return;
    }
    const path = new URL(req.url ?? "/", "http://portal").pathname;
    if (path === "/" || path === "/index.html") {
      const services = await catalogue(source.current());
      send(req, res, 200, "text/html; charset=utf-8", indexPage(assets.template, services));
      return;
    }
    if (path === "/services.json") {
      json(req, res, 200, { services: await catalogue(source.current()) });
      return;
    }
    const spec = /^\/specs\/([^/]+)\.json$/.exec(path);
    if (spec !== null) {
      const snapshot = source.current();
      let name: string;
      try {
        name = decodeURIComponent(spec[1]!);
      } catch {
        json(req, res, 400, { message: "Bad service name" });
        return;
      }
      const service = snapshot?.config.services.find((s) => s.enabled && serviceName(s) === name);
      if (snapshot === null || service === undefined) {
        json(req, res, 404, { message: "No such service" });
        return;
      }
      const doc = await documentOf(snapshot, service);
      if (!doc.ok) json(req, res, 404, { message: `No OpenAPI document: ${doc.reason}` });
      else json(req, res, 200, doc.doc);
      return;
    }
    const asset = /^\/assets\/([^/]+)$/.exec(path);
    const file = asset === null ? undefined : assets.get(asset[1]!);
    if (asset !== null && file !== undefined) {
      send(req, res, 200, CONTENT_TYPES[extname(asset[1]!)]!, file, "public, max-age=300");
      return;
    }
    json(req, res, 404, { message: "Not found" });
  };

  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      source.logger.error("portal request failed", { error: (err as Error).message });
      if (!res.headersSent) json(req, res, 500, { message: "An unexpected error occurred" });
      else res.destroy();
    });
  };
}

/**
 * The gateway manager's HTTP handler (Kong's admin_gui_listen): the front-end's files, the login
 * (sessions.ts: stateless cookies any replica with the same admin token accepts; throttle.ts), the Admin API behind the session (admin-proxy.ts) and the manager's
 * own read endpoints under `/gui-api/` (overview, plugin catalogue, entity schemas, the plugins
 * applying to a route, the live access log). Every endpoint but `/`, `/assets/*`, `/session` and
 * `/login` needs a session; writes need the CSRF token (csrf.ts). All paths are relative to where
 * the manager is published (Caddy strips its `/gateway` prefix).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../admin/http.js";
import { proxyToAdmin } from "./admin-proxy.js";
import { sendAsset } from "./assets.js";
import type { SessionInfo } from "./contract.js";
import { csrfAccepted, isWrite, originAccepted, sameSecret } from "./csrf.js";
import { type GuiApi, guiApiHandler } from "./gui-api.js";
import { LogHub } from "./log-hub.js";
import { type Session, SessionTokens, sessionCookie, sessionCookieOf } from "./sessions.js";
import { StatsWindow } from "./stats-window.js";
import { LoginThrottle } from "./throttle.js";
import { type GuiDeps, READ_ONLY_REASON } from "./types.js";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

const JSON_HEADERS = { ...SECURITY_HEADERS, "cache-control": "no-store" };
const MAX_LOGIN_BODY = 16 * 1024;

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...JSON_HEADERS,
    ...(text === "" ? {} : { "content-type": "application/json; charset=utf-8" }),
    "content-length": String(Buffer.byteLength(text)),
    ...extra,
  });
  res.end(text);
}

export interface GuiServerOptions {
  /** the session cookies' issuer (by default one keyed from the admin token) */
  sessions?: SessionTokens;
  throttle?: LoginThrottle;
  logs?: LogHub;
}

/** The manager: its handler, and the feeds the proxy's finished requests go to. */
export class GuiServer {
  readonly stats = new StatsWindow();
  readonly logs: LogHub;
  private readonly sessions: SessionTokens | null;
  private readonly throttle: LoginThrottle;
  private readonly api: GuiApi;

  constructor(
    private readonly deps: GuiDeps,
    opts: GuiServerOptions = {},
  ) {
    this.sessions = opts.sessions ?? (deps.token ? new SessionTokens(deps.token) : null);
    this.throttle = opts.throttle ?? new LoginThrottle();
    this.logs = opts.logs ?? new LogHub();
    this.api = guiApiHandler(deps, this.stats, this.logs, JSON_HEADERS);
  }

  private get loginRequired(): boolean {
    return this.deps.token !== undefined && this.deps.token !== "";
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.route(req, res).catch((e: unknown) => {
      this.deps.logger.error("gateway manager request failed", {
        method: req.method,
        error: (e as Error)?.message ?? String(e),
      });
      if (!res.headersSent) sendJson(res, 500, { message: "An unexpected error occurred" });
      else res.destroy();
    });
  };

  close(): void {
    this.logs.close();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://gui.invalid");
    const path = url.pathname;
    const method = (req.method ?? "GET").toUpperCase();

    if (path === "/" || path === "/index.html") {
      if (method !== "GET" && method !== "HEAD") return this.notAllowed(req, res);
      return sendAsset(res, this.deps.assetsDir(), "index.html", SECURITY_HEADERS);
    }
    if (path.startsWith("/assets/")) {
      if (method !== "GET" && method !== "HEAD") return this.notAllowed(req, res);
      return sendAsset(res, this.deps.assetsDir(), decodeURIComponentSafe(path.slice(8)), SECURITY_HEADERS);
    }
    if (path === "/session") {
      if (method !== "GET") return this.notAllowed(req, res);
      return this.sessionInfo(req, res);
    }
    if (path === "/login") {
      if (method !== "POST") return this.notAllowed(req, res);
      return this.login(req, res);
    }

    const session = this.session(req);
    if (session === undefined) {
      req.resume();
      sendJson(res, 401, { message: "Unauthorized" });
      return;
    }
    if (isWrite(method) && !this.csrfOk(req, session)) {
      req.resume();
      sendJson(res, 403, { message: "CSRF check failed" });
      return;
    }

    if (path === "/logout") {
      if (method !== "POST") return this.notAllowed(req, res);
      if (session !== NO_LOGIN_SESSION) this.sessions?.revoke(session);
      req.resume();
      res.writeHead(204, { ...JSON_HEADERS, "set-cookie": this.cookie(req, null) });
      res.end();
      return;
    }
    this.renewCookie(req, res, session);
    if (path === "/admin-api" || path.startsWith("/admin-api/")) {
      req.url = (path.slice("/admin-api".length) || "/") + url.search;
      // the session stands in for the token: the Admin API handler is the Admin listener's own
      delete req.headers.authorization;
      if (this.loginRequired) req.headers["kong-admin-token"] = this.deps.token;
      // DB-less, Kong's 405 to an entity write also says why and what to do instead
      const readOnly = this.deps.mode === "db-less" && isWrite(method);
      proxyToAdmin(this.deps.admin, req, res, JSON_HEADERS, readOnly ? withReadOnlyReason : undefined);
      return;
    }
    if (path.startsWith("/gui-api/")) {
      req.resume();
      if (method !== "GET") return this.notAllowed(req, res);
      const handled = this.api(path.slice("/gui-api/".length), url.searchParams, req, res);
      if (handled) return;
    }
    req.resume();
    sendJson(res, 404, { message: "Not found" });
  }

  /** The request's session (without a token, loopback only: the one no-login session), or undefined. */
  private session(req: IncomingMessage): Session | undefined {
    if (!this.loginRequired || this.sessions === null) return NO_LOGIN_SESSION;
    return this.sessions.verify(sessionCookieOf(req)) ?? undefined;
  }

  /** A session in use gets its cookie re-issued (a later idle expiry) once in a while. */
  private renewCookie(req: IncomingMessage, res: ServerResponse, session: Session): void {
    if (session === NO_LOGIN_SESSION || this.sessions === null) return;
    const renewed = this.sessions.renew(session);
    if (renewed !== null) res.setHeader("set-cookie", this.cookie(req, renewed));
  }

  private cookie(req: IncomingMessage, value: string | null): string {
    return sessionCookie(value, this.secure(req), this.publishedPath(req));
  }

  /**
   * Where the manager is published, for the cookie's Path: X-Forwarded-Prefix from a trusted
   * peer (Caddy's `/gateway`, whose prefix it strips), otherwise `/`.
   */
  private publishedPath(req: IncomingMessage): string {
    const fwd = req.headers["x-forwarded-prefix"];
    if (typeof fwd !== "string" || !this.deps.trustedPeer(req)) return "/";
    const prefix = fwd.split(",")[0]!.trim().replace(/\/+$/, "");
    return /^(\/[A-Za-z0-9._~-]+)+$/.test(prefix) ? prefix : "/";
  }

  private csrfOk(req: IncomingMessage, session: Session): boolean {
    return csrfAccepted(req, session.csrfToken, this.hostOf(req), this.scheme(req));
  }

  private hostOf(req: IncomingMessage): string {
    const fwd = req.headers["x-forwarded-host"];
    if (typeof fwd === "string" && fwd !== "" && this.deps.trustedPeer(req)) return fwd.split(",")[0]!.trim();
    return req.headers.host ?? "";
  }

  private scheme(req: IncomingMessage): string {
    const fwd = req.headers["x-forwarded-proto"];
    if (typeof fwd === "string" && fwd !== "" && this.deps.trustedPeer(req))
      return fwd.split(",")[0]!.trim().toLowerCase();
    return (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
  }

  private secure(req: IncomingMessage): boolean {
    return this.scheme(req) === "https";
  }

  private sessionInfo(req: IncomingMessage, res: ServerResponse): void {
    const session = this.session(req);
    const readOnly = this.deps.mode === "db-less";
    const info: SessionInfo = {
      authenticated: session !== undefined,
      loginRequired: this.loginRequired,
      csrfToken: session?.csrfToken ?? null,
      mode: this.deps.mode,
      readOnly,
      readOnlyReason: readOnly ? READ_ONLY_REASON : null,
      version: this.deps.version,
    };
    sendJson(res, 200, info);
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const client = this.deps.clientIp(req);
    if (!this.loginRequired) {
      req.resume();
      sendJson(res, 204, undefined);
      return;
    }
    const wait = this.throttle.retryAfter(client);
    if (wait > 0) {
      req.resume();
      sendJson(
        res,
        429,
        { message: "Too many failed logins; try again later" },
        { "retry-after": String(wait) },
      );
      return;
    }
    if (!originAccepted(req.headers.origin, this.hostOf(req), this.scheme(req))) {
      req.resume();
      sendJson(res, 403, { message: "CSRF check failed" });
      return;
    }
    const form = !String(req.headers["content-type"] ?? "").includes("json");
    let token: string | null;
    try {
      token = tokenOf(await readBody(req, MAX_LOGIN_BODY), form);
    } catch {
      sendJson(res, 400, { message: "could not read the request body" });
      return;
    }
    if (token === null || !sameSecret(token, this.deps.token!)) {
      this.throttle.failed(client);
      sendJson(res, 401, { message: "Invalid token" });
      return;
    }
    this.throttle.succeeded(client);
    const sessions = this.sessions!;
    const previous = sessions.verify(sessionCookieOf(req));
    if (previous !== null) sessions.revoke(previous);
    const cookie = this.cookie(req, sessions.create().value);
    if (form) {
      res.writeHead(303, { ...JSON_HEADERS, location: "./", "set-cookie": cookie, "content-length": "0" });
      res.end();
    } else {
      res.writeHead(204, { ...JSON_HEADERS, "set-cookie": cookie });
      res.end();
    }
  }

  private notAllowed(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    sendJson(res, 405, { message: "Method not allowed" });
  }
}

/**
 * Without a token (loopback only) there is no login: every request has this session, and writes
 * still carry its fixed X-CSRF-Token and a same-origin Origin, so a cross-site form (which can set
 * no header) is refused.
 */
const NO_LOGIN_SESSION: Session = { id: "", csrfToken: "no-login", issuedAt: 0, idleExpiresAt: 0 };

function withReadOnlyReason(status: number, body: unknown): unknown {
  if (status !== 405 || typeof body !== "object" || body === null || Array.isArray(body)) return body;
  return { ...body, readOnlyReason: READ_ONLY_REASON };
}

function tokenOf(body: Buffer, form: boolean): string | null {
  const text = body.toString("utf8");
  if (form) return new URLSearchParams(text).get("token");
  try {
    const parsed = JSON.parse(text) as unknown;
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      typeof (parsed as { token?: unknown }).token === "string"
    )
      return (parsed as { token: string }).token;
  } catch {
    // not JSON
  }
  return null;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return "";
  }
}

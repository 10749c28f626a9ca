/**
 * The manager's sessions, stateless so that every gateway replica behind Caddy accepts them: the
 * session cookie is a token `v1.<id>.<issued>.<idle expiry>.<mac>` (id 16 random bytes in
 * base64url, times in epoch ms, mac HMAC-SHA256 over the rest). The MAC key is derived from the
 * admin token with HKDF-SHA256, so a replica started with the same admin token accepts the cookie
 * and one with another token does not (changing the token ends every session). The cookie holds
 * no secret: the admin token never leaves the gateway.
 *
 * The CSRF token is HMAC-SHA256 of the session id under the same key (its own label), so any
 * replica can check it without storage, and one session's token is no good for another session.
 *
 * A session ends `idleMs` (30 min) after its last request — each request past `renewAfterMs`
 * (1 min) since the cookie was issued gets it re-issued with a later idle expiry — and at the
 * latest `maxAgeMs` (8 h) after the login. Logout clears the browser's cookie and revokes the
 * session id in this process (a bounded set, kept until the session's absolute expiry). The limit
 * of being stateless: the other replicas do not hear of the logout, so a copy of the cookie taken
 * before it still works there until the idle window runs out (or the absolute expiry, if it is
 * kept in use). Rotating the admin token ends every session on every replica at once.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const SESSION_COOKIE = "gatestack_session";
const MINUTE_MS = 60 * 1000;
const COOKIE_VALUE = /^v1\.([A-Za-z0-9_-]{22})\.(\d{1,15})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/;

export interface Session {
  readonly id: string;
  readonly csrfToken: string;
  /** epoch ms of the login */
  readonly issuedAt: number;
  /** epoch ms the session ends at without another request */
  readonly idleExpiresAt: number;
}

export interface SessionOptions {
  idleMs?: number;
  maxAgeMs?: number;
  renewAfterMs?: number;
  /** how many logged-out ids this process remembers (the oldest forgotten first) */
  maxRevoked?: number;
  now?: () => number;
}

/** Issues and checks the session cookies of one admin token. */
export class SessionTokens {
  private readonly key: Buffer;
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly renewAfterMs: number;
  private readonly maxRevoked: number;
  private readonly now: () => number;
  /** revoked id → the epoch ms past which its cookie is refused anyway */
  private readonly revoked = new Map<string, number>();

  constructor(adminToken: string, opts: SessionOptions = {}) {
    this.key = Buffer.from(hkdfSync("sha256", adminToken, "gatestack-gui-session", "session-mac-v1", 32));
    this.idleMs = opts.idleMs ?? 30 * MINUTE_MS;
    this.maxAgeMs = opts.maxAgeMs ?? 8 * 60 * MINUTE_MS;
    this.renewAfterMs = opts.renewAfterMs ?? MINUTE_MS;
    this.maxRevoked = opts.maxRevoked ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** A new session and its cookie value. */
  create(): { session: Session; value: string } {
    const id = randomBytes(16).toString("base64url");
    return this.issue(id, this.now());
  }

  /** The session of a cookie value (authentic, not expired, not revoked here), or null. */
  verify(value: string | null): Session | null {
    if (value === null) return null;
    const m = COOKIE_VALUE.exec(value);
    if (m === null) return null;
    const [, id, issuedText, idleText, mac] = m as unknown as [string, string, string, string, string];
    const expected = this.mac(id, issuedText, idleText);
    if (!timingSafeEqual(Buffer.from(mac, "base64url"), expected)) return null;
    const issuedAt = Number(issuedText);
    const idleExpiresAt = Number(idleText);
    const now = this.now();
    if (now >= idleExpiresAt || now >= issuedAt + this.maxAgeMs || issuedAt > now + MINUTE_MS) return null;
    if (this.revoked.has(id)) return null;
    return { id, csrfToken: this.csrfTokenOf(id), issuedAt, idleExpiresAt };
  }

  /** A re-issued cookie value with a later idle expiry when the session's is worth pushing, else null. */
  renew(session: Session): string | null {
    const now = this.now();
    if (session.idleExpiresAt - this.idleMs + this.renewAfterMs > now) return null;
    const renewed = this.issue(session.id, session.issuedAt, now);
    return renewed.session.idleExpiresAt > session.idleExpiresAt ? renewed.value : null;
  }

  /** Logout: this process refuses the session from now on (the other replicas: see the header). */
  revoke(session: Session): void {
    const now = this.now();
    for (const [id, until] of this.revoked) if (until <= now) this.revoked.delete(id);
    while (this.revoked.size >= this.maxRevoked) {
      const oldest = this.revoked.keys().next().value as string;
      this.revoked.delete(oldest);
    }
    this.revoked.set(session.id, session.issuedAt + this.maxAgeMs);
  }

  /** The CSRF token of a session id: HMAC under the session key, labelled apart from the cookie's. */
  csrfTokenOf(id: string): string {
    return createHmac("sha256", this.key).update(`gatestack-csrf-v1|${id}`).digest("base64url");
  }

  private issue(id: string, issuedAt: number, now = issuedAt): { session: Session; value: string } {
    const idleExpiresAt = Math.min(now + this.idleMs, issuedAt + this.maxAgeMs);
    const issuedText = String(issuedAt);
    const idleText = String(idleExpiresAt);
    const mac = this.mac(id, issuedText, idleText).toString("base64url");
    return {
      session: { id, csrfToken: this.csrfTokenOf(id), issuedAt, idleExpiresAt },
      value: `v1.${id}.${issuedText}.${idleText}.${mac}`,
    };
  }

  private mac(id: string, issued: string, idle: string): Buffer {
    return createHmac("sha256", this.key).update(`gatestack-session-v1|${id}|${issued}|${idle}`).digest();
  }
}

/** The session cookie's value in the request's Cookie header, or null. */
export function sessionCookieOf(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      if (value.length <= 256) return value;
    }
  }
  return null;
}

/**
 * Set-Cookie for a session cookie value (or, with null, the cookie cleared), scoped to `path`
 * (where the manager is published: Caddy's `/gateway`, otherwise `/`).
 */
export function sessionCookie(value: string | null, secure: boolean, path = "/"): string {
  const attrs = ["HttpOnly", "SameSite=Strict", `Path=${path}`];
  if (secure) attrs.push("Secure");
  if (value === null) return `${SESSION_COOKIE}=; ${attrs.join("; ")}; Max-Age=0`;
  return `${SESSION_COOKIE}=${value}; ${attrs.join("; ")}`;
}

/**
 * The manager's sessions: kept in memory on the gateway (never in the cookie), each a random id
 * (32 bytes, base64url) and its CSRF token. A session expires after `idleMs` without a request
 * (8 h); past `max` sessions the least recently used one is dropped. The admin token is never
 * stored in a session.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const SESSION_COOKIE = "gatestack_session";
const EIGHT_HOURS_MS = 8 * 60 * 60 * 1000;

export interface Session {
  readonly id: string;
  readonly csrfToken: string;
  lastSeen: number;
}

export interface SessionOptions {
  idleMs?: number;
  max?: number;
  now?: () => number;
}

export class SessionStore {
  /** insertion order is use order: a touched session is moved to the end */
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(opts: SessionOptions = {}) {
    this.idleMs = opts.idleMs ?? EIGHT_HOURS_MS;
    this.max = opts.max ?? 4096;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.sessions.size;
  }

  create(): Session {
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    const session: Session = {
      id: randomBytes(32).toString("base64url"),
      csrfToken: randomBytes(32).toString("base64url"),
      lastSeen: this.now(),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session of this id (its idle time restarted), or null. */
  get(id: string | null): Session | null {
    if (id === null) return null;
    const s = this.sessions.get(id);
    if (s === undefined) return null;
    const now = this.now();
    this.sessions.delete(id);
    if (now - s.lastSeen > this.idleMs) return null;
    s.lastSeen = now;
    this.sessions.set(id, s);
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }
}

/** The session cookie's value in the request's Cookie header, or null. */
export function sessionIdOf(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : null;
    }
  }
  return null;
}

/** Set-Cookie for a session (or, with null, the cookie cleared). */
export function sessionCookie(id: string | null, secure: boolean): string {
  const attrs = ["HttpOnly", "SameSite=Strict", "Path=/"];
  if (secure) attrs.push("Secure");
  if (id === null) return `${SESSION_COOKIE}=; ${attrs.join("; ")}; Max-Age=0`;
  return `${SESSION_COOKIE}=${id}; ${attrs.join("; ")}`;
}

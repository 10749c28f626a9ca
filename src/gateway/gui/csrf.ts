/**
 * The manager's CSRF check for writes (every method but GET, HEAD, OPTIONS): the request carries
 * `X-CSRF-Token` equal to its session's token (compared in constant time), and its `Origin`,
 * when sent, names the host the request was sent to (the browser's own page). A cross-site page
 * can set neither: the header needs a same-origin script, and the browser writes Origin itself.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isWrite(method: string | undefined): boolean {
  return !SAFE_METHODS.has((method ?? "GET").toUpperCase());
}

/** Constant-time equality of two strings (over digests: their lengths do not leak either). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Does a write pass? `host` is the host the request was sent to (Host, or X-Forwarded-Host from a
 * trusted peer), `scheme` its scheme as far as it is known.
 */
export function csrfAccepted(req: IncomingMessage, csrfToken: string, host: string, scheme: string): boolean {
  const header = req.headers["x-csrf-token"];
  if (typeof header !== "string" || !sameSecret(header, csrfToken)) return false;
  return originAccepted(req.headers.origin, host, scheme);
}

/** A login's Origin, when sent, must be the manager's own (no login from a foreign page). */
export function originAccepted(origin: string | undefined, host: string, scheme: string): boolean {
  if (origin === undefined) return true;
  try {
    const u = new URL(origin);
    return u.host.toLowerCase() === host.toLowerCase() && u.protocol === `${scheme}:`;
  } catch {
    return false;
  }
}

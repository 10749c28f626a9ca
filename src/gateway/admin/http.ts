/**
 * Small HTTP helpers of the Admin API: JSON responses in Kong's style, bounded body
 * reading, and the admin-token check (constant time).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { BodyTooLargeError } from "../errors.js";

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...(text === "" ? {} : { "content-type": "application/json; charset=utf-8" }),
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendMessage(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { message });
}

export { BodyTooLargeError };

/** Read the whole request body, failing with BodyTooLargeError past `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new BodyTooLargeError(limit, "Request body too large"));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new BodyTooLargeError(limit, "Request body too large"));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (e) => {
      if (!failed) reject(e);
    });
  });
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/**
 * true when no token is configured, or the request carries it as `Authorization: Bearer
 * <token>` or `Kong-Admin-Token: <token>`. Compared in constant time (over digests, so the
 * token length does not leak either).
 */
export function tokenAccepted(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined || token === "") return true;
  const want = digest(token);
  const auth = req.headers.authorization;
  const candidates: string[] = [];
  if (typeof auth === "string") {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) candidates.push(m[1]!);
  }
  const kongToken = req.headers["kong-admin-token"];
  if (typeof kongToken === "string") candidates.push(kongToken);
  let ok = false;
  for (const c of candidates) if (timingSafeEqual(digest(c), want)) ok = true;
  return ok;
}

/**
 * `/admin-api/<path>`: the Admin API handler the Admin listener serves, called in process (no
 * network hop) with the session standing in for the bearer token. Status codes and Kong's error
 * bodies pass unchanged; JSON answers have credential secrets (key-auth keys, basic-auth passwords
 * and hashes, JWT / HMAC secrets, OAuth2 client secrets) and secret-named plugin fields redacted,
 * also where database mode's Admin API shows them — nothing secret reaches the browser.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { REDACTED, redactSecrets } from "../admin/redact.js";
import { isPlainObject } from "../config/schema/fields.js";

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Fields that hold a credential's secret, wherever a credential-shaped object carries them. */
const CREDENTIAL_SECRET_FIELDS = ["key", "secret", "password", "client_secret"] as const;

/** A credential (it belongs to a consumer: `consumer: { id }`) with its secret fields hidden. */
function redactCredential(o: Record<string, unknown>): Record<string, unknown> {
  const out = { ...o };
  for (const f of CREDENTIAL_SECRET_FIELDS) {
    if (typeof out[f] === "string" && out[f] !== "") out[f] = REDACTED;
  }
  return out;
}

/** Every credential-shaped object and plugin config in an Admin API answer, redacted. */
export function redactAnswer(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactAnswer);
  if (!isPlainObject(value)) return value;
  let o: Record<string, unknown> = value;
  if (isPlainObject(o.consumer) && CREDENTIAL_SECRET_FIELDS.some((f) => f in o)) o = redactCredential(o);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    Object.defineProperty(out, k, {
      value: k === "config" && isPlainObject(v) ? redactSecrets(v) : redactAnswer(v),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Run `req` (its URL already the Admin API path) through `admin`, capturing the answer so its JSON
 * can be redacted before it is written to `res` with `extraHeaders`.
 */
export function proxyToAdmin(
  admin: NodeHandler,
  req: IncomingMessage,
  res: ServerResponse,
  extraHeaders: Record<string, string>,
  transform?: (status: number, body: unknown) => unknown,
): void {
  let status = 200;
  let headers: OutgoingHttpHeaders = {};
  const chunks: Buffer[] = [];
  // the Admin API writes its answer with writeHead + write/end: those three are captured
  const capture = res as unknown as Record<"writeHead" | "write" | "end", (...args: unknown[]) => unknown>;
  const collect = (chunk: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === "function") return;
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  };
  const realEnd = res.end.bind(res);
  const realWriteHead = res.writeHead.bind(res);
  capture.writeHead = (code: unknown, ...rest: unknown[]) => {
    status = Number(code);
    const h = rest.find((r) => typeof r === "object" && r !== null);
    if (h !== undefined) headers = h as OutgoingHttpHeaders;
    return res;
  };
  capture.write = (chunk: unknown) => {
    collect(chunk);
    return true;
  };
  capture.end = (chunk?: unknown) => {
    collect(chunk);
    let body = Buffer.concat(chunks);
    const type = String(headers["content-type"] ?? "");
    if (type.includes("json") && body.length > 0) {
      try {
        const parsed = redactAnswer(JSON.parse(body.toString("utf8")));
        body = Buffer.from(JSON.stringify(transform === undefined ? parsed : transform(status, parsed)));
      } catch {
        // not JSON after all: passed as it is
      }
    }
    const out: OutgoingHttpHeaders = { ...headers, ...extraHeaders };
    delete out["content-length"];
    if (status !== 204 && status !== 304) out["content-length"] = String(body.length);
    realWriteHead(status, out);
    realEnd(status === 204 || status === 304 ? undefined : body);
    return res;
  };
  admin(req, res);
}

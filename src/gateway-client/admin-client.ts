/**
 * A small client of the gateway's Admin API (Kong's, database mode): JSON requests with the admin
 * token (`Kong-Admin-Token`, which the gateway accepts besides `Authorization: Bearer`), paginated
 * lists followed through `next`, and every refusal turned into one GatestackError naming the
 * request and the gateway's message. The token is sent, never logged or put in an error.
 */
import { request } from "undici";
import { GatestackError } from "../errors.js";

export interface AdminClientOptions {
  /** base URL, e.g. http://127.0.0.1:8001 */
  url: string;
  token?: string | undefined;
  /** per request (default 10 s) */
  timeoutMs?: number;
  /** entities per list page (default 1000, the Admin API's largest) */
  pageSize?: number;
  /** how requests travel (default: undici from here; `stack health`: from inside a container) */
  transport?: AdminTransport;
}

export interface TransportRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
}

/** One HTTP exchange: the status and body text, or a throw when nothing answered. */
export type AdminTransport = (req: TransportRequest) => Promise<{ status: number; text: string }>;

const undiciTransport: AdminTransport = async (req) => {
  const res = await request(req.url, {
    method: req.method as "GET",
    headers: req.headers,
    body: req.body,
    headersTimeout: req.timeoutMs,
    bodyTimeout: req.timeoutMs,
  });
  return { status: res.statusCode, text: await res.body.text() };
};

export interface AdminAnswer {
  status: number;
  body: unknown;
}

/** Largest page the Admin API serves (pagination.ts: 1..1000). */
const PAGE_SIZE = 1000;

export class AdminClient {
  readonly base: string;
  /** How many writes (POST, PUT, PATCH, DELETE) this client sent. */
  writes = 0;

  constructor(private readonly opts: AdminClientOptions) {
    this.base = opts.url.replace(/\/+$/, "");
  }

  /** One request; any answer comes back (the caller judges the status), a network error throws. */
  async send(method: string, path: string, body?: unknown): Promise<AdminAnswer> {
    if (method !== "GET") this.writes++;
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.opts.token) headers["kong-admin-token"] = this.opts.token;
    if (body !== undefined) headers["content-type"] = "application/json";
    const transport = this.opts.transport ?? undiciTransport;
    let status: number;
    let text: string;
    try {
      ({ status, text } = await transport({
        method,
        url: `${this.base}${path}`,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: this.opts.timeoutMs ?? 10_000,
      }));
    } catch (e) {
      throw new GatestackError("E_GATEWAY_ADMIN", `cannot reach the Admin API (${describe(e)})`, {
        place: this.base,
        hint: "is the gateway running? check --admin-url",
        cause: e,
      });
    }
    let parsed: unknown = text;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (status === 401) {
      throw new GatestackError(
        "E_GATEWAY_ADMIN",
        "the Admin API refused the admin token (401 Unauthorized)",
        {
          place: this.base,
          hint: this.opts.token
            ? "check --admin-token / GATEWAY_ADMIN_TOKEN"
            : "the gateway requires a token: pass --admin-token or set GATEWAY_ADMIN_TOKEN",
        },
      );
    }
    return { status, body: parsed };
  }

  /** A write that must succeed (2xx), else an error naming it and the gateway's message. */
  async write(method: "PUT" | "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<unknown> {
    const answer = await this.send(method, path, body);
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    throw refusal(method, path, answer);
  }

  /** DELETE; a 404 (gone already) is no error. */
  async remove(path: string): Promise<void> {
    const answer = await this.send("DELETE", path);
    if ((answer.status >= 200 && answer.status < 300) || answer.status === 404) return;
    throw refusal("DELETE", path, answer);
  }

  /** Every item of a paginated list (`data`, then `next` until null). */
  async list(path: string, tags?: string): Promise<Array<Record<string, unknown>>> {
    const size = this.opts.pageSize ?? PAGE_SIZE;
    const query = new URLSearchParams({ size: String(size) });
    if (tags !== undefined) query.set("tags", tags);
    let next: string | null = `${path}?${query}`;
    const out: Array<Record<string, unknown>> = [];
    while (next !== null) {
      const answer = await this.send("GET", next);
      if (answer.status !== 200) throw refusal("GET", next, answer);
      const page = answer.body as { data?: unknown; next?: unknown };
      if (!Array.isArray(page.data)) throw refusal("GET", next, answer);
      out.push(...(page.data as Array<Record<string, unknown>>));
      next = typeof page.next === "string" && page.next !== "" ? withSize(page.next, size) : null;
    }
    return out;
  }
}

/** Nested lists' `next` carries the offset alone: the page size is asked again. */
function withSize(next: string, size: number): string {
  return /[?&]size=/.test(next) ? next : `${next}${next.includes("?") ? "&" : "?"}size=${size}`;
}

function refusal(method: string, path: string, answer: AdminAnswer): GatestackError {
  const body = answer.body as { message?: unknown } | string;
  const message =
    typeof body === "object" && body !== null && typeof body.message === "string"
      ? body.message
      : typeof body === "string" && body !== ""
        ? body.slice(0, 200)
        : "no message";
  return new GatestackError("E_GATEWAY_ADMIN", `${method} ${path}: ${answer.status} ${message}`, {
    data: { status: answer.status, body: answer.body },
  });
}

function describe(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err.code ?? err.message ?? String(e);
}

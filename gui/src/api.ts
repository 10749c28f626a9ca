/**
 * The manager's calls to its own server. Every URL is relative (the page is published under
 * `/gateway/` behind Caddy too); writes carry the session's CSRF token.
 */
import type { Entity, Session } from "./types.js";

let csrfToken: string | null = null;

/** An answer that was not 2xx: its status and Kong's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { message?: string; fields?: unknown; name?: string } | null,
  ) {
    super(body?.message ?? `HTTP ${status}`);
  }
}

/** Called when any call answers 401: the session expired, back to the login form. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken !== null) headers["x-csrf-token"] = csrfToken;
  const res = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  if (text !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      json = { message: text };
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !url.startsWith("login")) onUnauthorized();
    throw new ApiError(res.status, json as ApiError["body"]);
  }
  return json as T;
}

export const get = <T>(url: string): Promise<T> => call<T>("GET", url);

export async function loadSession(): Promise<Session> {
  const s = await get<Session>("session");
  csrfToken = s.csrfToken;
  return s;
}

export async function login(token: string): Promise<void> {
  await call<void>("POST", "login", { token });
}

export async function logout(): Promise<void> {
  await call<void>("POST", "logout");
  csrfToken = null;
}

/** An Admin API path (`services`, `routes/abc/plugins`…) through the manager's `/admin-api/`. */
export function adminUrl(path: string): string {
  return `admin-api/${path}`;
}

interface KongPage<T> {
  data: T[];
  offset?: string | null;
  next?: string | null;
}

/** Every entity of an Admin API collection, following Kong's `offset` pagination. */
export async function listAll<T = Entity>(path: string): Promise<T[]> {
  const out: T[] = [];
  let offset: string | null | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const sep = path.includes("?") ? "&" : "?";
    const q = offset ? `${sep}size=1000&offset=${encodeURIComponent(offset)}` : `${sep}size=1000`;
    const page = await get<KongPage<T>>(adminUrl(path + q));
    out.push(...page.data);
    offset = page.offset;
    if (!offset) break;
  }
  return out;
}

export const adminGet = <T>(path: string): Promise<T> => get<T>(adminUrl(path));
export const adminWrite = <T>(method: "POST" | "PATCH" | "PUT" | "DELETE", path: string, body?: unknown) =>
  call<T>(method, adminUrl(path), body);

/** A short text for an error shown in an alert. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.body?.message ?? `HTTP ${err.status}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Helpers shared by the plugin integration tests: raw HTTP requests through the gateway
 * (undici, so duplicate headers, Host and Origin go out exactly as written) and the
 * request the echo upstream saw.
 */
import { request } from "undici";
import type { CapturedRequest } from "../../support/gateway.js";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
  /** What the echo upstream received (the reply body of a proxied request). */
  upstream(): CapturedRequest;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string | string[]> | string[];
  body?: string | Buffer;
}

export async function send(baseUrl: string, path: string, opts: SendOptions = {}): Promise<Reply> {
  const res = await request(`${baseUrl}${path}`, {
    method: (opts.method ?? "GET") as "GET",
    headers: opts.headers,
    body: opts.body,
  });
  const body = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    body,
    json: <T>() => JSON.parse(body) as T,
    upstream: () => JSON.parse(body) as CapturedRequest,
  };
}

/** A minimal Kong declarative document: one service on `upstreamUrl` with the given routes. */
export function kongDoc(
  upstreamUrl: string,
  routes: Array<Record<string, unknown>>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    _format_version: "3.0",
    services: [{ name: "echo", url: upstreamUrl, routes }],
    ...extra,
  };
}

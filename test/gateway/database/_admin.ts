/**
 * The Admin API of a gateway in database mode under test: one throwaway PostgreSQL cluster and
 * one gateway per test file (a fresh bootstrapped database), a small client sending JSON,
 * url-encoded and multipart bodies, and a real upstream for checking that a write serves at once.
 */
import { FormData, fetch } from "undici";
import { afterAll, beforeAll } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import type { Cleanups } from "../../support/cleanups.js";
import { type EchoUpstream, startEchoUpstream } from "../../support/gateway.js";
import { type DatabaseFixture, postgresPerFile } from "./_support.js";

/** A JSON answer, as loosely typed as the tests read it. */
export type Json = Record<string, unknown>;

export interface Answer {
  status: number;
  /** the JSON body; undefined when empty */
  body: Json;
  text: string;
  headers: Headers;
}

export class AdminClient {
  constructor(readonly base: string) {}

  async send(
    method: string,
    path: string,
    body?: object | string | FormData,
    type = "application/json",
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (typeof body === "string") {
      payload = body;
      headers["content-type"] = type;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] = "application/json";
    }
    const res = await fetch(`${this.base}${path}`, { method, headers, body: payload });
    const text = await res.text();
    return {
      status: res.status,
      body: text === "" ? (undefined as unknown as Json) : (JSON.parse(text) as Json),
      text,
      headers: res.headers as unknown as Headers,
    };
  }

  get = (path: string) => this.send("GET", path);
  post = (path: string, body: object | FormData = {}) => this.send("POST", path, body);
  put = (path: string, body: object | FormData = {}) => this.send("PUT", path, body);
  patch = (path: string, body: object | FormData = {}) => this.send("PATCH", path, body);
  delete = (path: string) => this.send("DELETE", path);
  /** a url-encoded body as `curl -d` sends it */
  form = (method: string, path: string, text: string) =>
    this.send(method, path, text, "application/x-www-form-urlencoded");
  /** a multipart body as `curl -F` sends it */
  multipart = (method: string, path: string, fields: ReadonlyArray<[string, string]>) => {
    const form = new FormData();
    for (const [k, v] of fields) form.append(k, v);
    return this.send(method, path, form);
  };

  /** the id of an entity created by POST (fails the test when it was not created) */
  async create(path: string, body: object): Promise<Json> {
    const r = await this.post(path, body);
    if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
    return r.body;
  }
}

export interface AdminBed {
  fx: DatabaseFixture;
  gateway(): Gateway;
  admin(): AdminClient;
  /** a real upstream on 127.0.0.1 (closed after the file) */
  upstream(): EchoUpstream;
  /** GET on the proxy: status and text */
  proxy(path: string, headers?: Record<string, string>): Promise<{ status: number; text: string }>;
}

/** One database and one gateway in database mode for the whole file. */
export function adminPerFile(): AdminBed {
  const pending: Array<() => unknown> = [];
  const fileCleanups: Cleanups = { push: (...c) => void pending.push(...c) };
  const fx = postgresPerFile(fileCleanups);
  let gw: Gateway | null = null;
  let up: EchoUpstream | null = null;
  beforeAll(async () => {
    gw = await fx.gateway(await fx.freshDatabase());
    up = await startEchoUpstream();
  }, 60_000);
  afterAll(async () => {
    await up?.close();
    while (pending.length > 0) await pending.pop()!();
  });
  return {
    fx,
    gateway: () => gw!,
    admin: () => new AdminClient(gw!.adminUrl!),
    upstream: () => up!,
    proxy: async (path, headers = {}) => {
      const r = await fetch(`${gw!.proxyUrl}${path}`, { headers });
      return { status: r.status, text: await r.text() };
    },
  };
}

/** Kong's schema violation body (code 2). */
export function schemaViolation(message: string, fields: Json): Json {
  return { code: 2, name: "schema violation", message, fields };
}

export const NOT_FOUND = { message: "Not found" };

/** A few random hex characters, so names do not collide between tests of one file. */
export const unique = (prefix: string) => `${prefix}-${Math.random().toString(16).slice(2, 8)}`;

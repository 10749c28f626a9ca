/** The gateway manager under test: a real gateway with its GUI listener on 127.0.0.1:0, and fetch helpers. */
import type { Gateway, GatewayOptions } from "../../../src/gateway/server.js";
import type { Cleanups } from "../../support/cleanups.js";
import { startTestGateway } from "../../support/gateway.js";

export const TOKEN = "s3cret-admin-token-for-tests";

export async function managerGateway(
  cleanups: Cleanups,
  doc?: object,
  extra: Partial<GatewayOptions> = {},
): Promise<Gateway & { guiUrl: string }> {
  const gw = await startTestGateway(doc, {
    guiListen: { host: "127.0.0.1", port: 0 },
    adminToken: TOKEN,
    ...extra,
  });
  cleanups.push(() => gw.close());
  if (gw.guiUrl === null) throw new Error("no GUI listener");
  return gw as Gateway & { guiUrl: string };
}

/** A JSON answer, read loosely: each test's expectations check its shape. */
// biome-ignore lint/suspicious/noExplicitAny: test-only reading of JSON bodies
export type Body = any;

export async function jsonOf(res: Response | Promise<Response>): Promise<Body> {
  return (await res).json();
}

export interface LoggedIn {
  cookie: string;
  csrf: string;
}

/** Log in with the token (JSON), returning the session cookie and its CSRF token. */
export async function login(guiUrl: string, token = TOKEN): Promise<LoggedIn> {
  const res = await fetch(`${guiUrl}/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  if (res.status !== 204) throw new Error(`login: ${res.status}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
  const session = (await (await fetch(`${guiUrl}/session`, { headers: { cookie } })).json()) as {
    csrfToken: string;
  };
  return { cookie, csrf: session.csrfToken };
}

export const SAMPLE = {
  _format_version: "3.0",
  services: [
    {
      name: "echo",
      url: "http://127.0.0.1:9",
      routes: [{ name: "r1", paths: ["/one"] }],
      plugins: [{ name: "correlation-id" }],
    },
  ],
  consumers: [
    {
      username: "alice",
      keyauth_credentials: [{ key: "alice-super-secret-key" }],
      basicauth_credentials: [{ username: "alice", password: "alice-password-123" }],
      jwt_secrets: [{ key: "alice-iss", secret: "alice-jwt-secret-value" }],
    },
  ],
  plugins: [{ name: "key-auth", route: "r1", enabled: false }],
};

export const SECRETS = [TOKEN, "alice-super-secret-key", "alice-password-123", "alice-jwt-secret-value"];

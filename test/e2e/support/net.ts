/** Free loopback ports and HTTP(S) requests to the stack through its published ports. */
import { createServer } from "node:net";
import { Agent, request } from "undici";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Caddy serves localhost with its internal CA: accept that certificate (tests only). */
const insecure = new Agent({ connect: { rejectUnauthorized: false, servername: "localhost" } });

export interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: <T = unknown>() => T;
}

export async function get(
  url: string,
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<Reply> {
  const res = await request(url, {
    headers,
    dispatcher: insecure,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const text = await res.body.text();
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers))
    flat[k] = Array.isArray(v) ? v.join(", ") : String(v ?? "");
  return { status: res.statusCode, headers: flat, text, json: <T>() => JSON.parse(text) as T };
}

/** Polls `fn` until it returns truthy or the time is up. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  stepMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `condition not met in ${timeoutMs} ms${lastErr ? `: ${(lastErr as Error).message}` : ""}`,
      );
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

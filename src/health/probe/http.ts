import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import { addressOf, type ProbeError, toProbeError } from "./errors.js";

/**
 * The one host-side HTTP primitive every health probe uses: a single request, bounded by
 * `timeoutMs` from connect to the last body byte, never throwing — it returns an answer or a
 * ProbeError. TLS certificates are NOT verified here (certificate checks are the TLS probe's
 * job), so an HTTPS answer is reported even from a site with Caddy's internal CA.
 */

export interface HttpProbeRequest {
  url: string;
  method?: "GET" | "HEAD";
  headers?: Record<string, string>;
  /** TLS SNI name (defaults to the URL host); lets a probe dial 127.0.0.1 while naming the site. */
  servername?: string;
  timeoutMs: number;
  /** Bytes of body to keep (default 64 KiB); the rest is drained and dropped. */
  maxBodyBytes?: number;
}

export interface HttpAnswer {
  ok: true;
  status: number;
  headers: Record<string, string>;
  body: string;
  ms: number;
}

export interface HttpFailure {
  ok: false;
  error: ProbeError;
  ms: number;
}

export type HttpOutcome = HttpAnswer | HttpFailure;

const DEFAULT_MAX_BODY = 64 * 1024;

export async function httpProbe(req: HttpProbeRequest): Promise<HttpOutcome> {
  const started = performance.now();
  const elapsed = (): number => round(performance.now() - started);
  const servername = req.servername && !isIpLiteral(req.servername) ? req.servername : undefined;
  const agent = new Agent({
    connect: { timeout: req.timeoutMs, rejectUnauthorized: false, ...(servername ? { servername } : {}) },
    headersTimeout: req.timeoutMs,
    bodyTimeout: req.timeoutMs,
    pipelining: 0,
  });
  try {
    const res = await request(req.url, {
      method: req.method ?? "GET",
      headers: req.headers ?? {},
      dispatcher: agent,
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    const body = await readCapped(res.body, req.maxBodyBytes ?? DEFAULT_MAX_BODY);
    return { ok: true, status: res.statusCode, headers: flattenHeaders(res.headers), body, ms: elapsed() };
  } catch (err) {
    return { ok: false, error: toProbeError(err, addressOf(req.url), req.timeoutMs), ms: elapsed() };
  } finally {
    agent.destroy().catch(() => undefined);
  }
}

async function readCapped(body: AsyncIterable<Buffer | Uint8Array>, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size >= max) continue;
    const buf = Buffer.from(chunk);
    chunks.push(buf.subarray(0, max - size));
    size += buf.length;
  }
  return Buffer.concat(chunks).toString("utf8");
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

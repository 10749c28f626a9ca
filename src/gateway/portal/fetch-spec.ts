/**
 * A service's OpenAPI document, fetched from its app the way the proxy reaches it — a peer of the
 * service's balancer, through the gateway's upstream transport (transport/dispatch.ts) — but
 * outside the plugin phases: no authentication plugin stands between the portal and the document.
 * Answers are kept briefly per service and configuration; a fetch already under way is shared.
 */
import { hostHeaderFor, type UpstreamBalancer } from "../balancer/index.js";
import type { GatewayService } from "../config/types.js";
import { requestTarget, type UpstreamPools } from "../transport/dispatch.js";

export type SpecResult = { ok: true; doc: Record<string, unknown> } | { ok: false; reason: string };

export interface SpecFetchOptions {
  /** the app's path of its document (default /openapi.json) */
  specPath: string;
  /** the longest a fetch may take, ms */
  timeoutMs: number;
  /** how long an answer is reused, ms */
  cacheMs: number;
  /** the largest document read, bytes */
  maxBytes: number;
}

export const DEFAULT_SPEC_FETCH: SpecFetchOptions = {
  specPath: "/openapi.json",
  timeoutMs: 3000,
  cacheMs: 10_000,
  maxBytes: 8 * 1024 * 1024,
};

function protocolOf(service: GatewayService): "http" | "https" {
  return service.protocol === "https" || service.protocol === "grpcs" || service.protocol === "wss"
    ? "https"
    : "http";
}

/** Fetch once, no cache: the app's document or why there is none. */
export async function fetchSpec(
  pools: UpstreamPools,
  balancer: UpstreamBalancer | undefined,
  service: GatewayService,
  options: SpecFetchOptions,
): Promise<SpecResult> {
  if (balancer === undefined) return { ok: false, reason: "no upstream for this service" };
  const peer = balancer.select(null, null);
  if (peer === null) return { ok: false, reason: "no healthy target to ask" };
  const protocol = protocolOf(service);
  const timeout = Math.max(1, Math.min(options.timeoutMs, service.read_timeout));
  let timer: NodeJS.Timeout | undefined;
  try {
    const request = requestTarget(
      pools,
      { host: peer.ip, port: peer.port, protocol, servername: peer.hostname },
      {
        method: "GET",
        path: options.specPath,
        headers: {
          host: balancer.upstream.host_header ?? hostHeaderFor(peer.hostname, peer.port, protocol),
          accept: "application/json",
          "user-agent": "gatestack-portal",
        },
        connectTimeout: Math.min(service.connect_timeout, timeout),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      },
      options.maxBytes + 1,
    );
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout);
    });
    const res = await Promise.race([request, expired]);
    if (res.status !== 200) return { ok: false, reason: `${options.specPath} answered ${res.status}` };
    if (res.body.length > options.maxBytes) {
      return { ok: false, reason: `${options.specPath} is larger than ${options.maxBytes} bytes` };
    }
    let doc: unknown;
    try {
      doc = JSON.parse(res.body.toString("utf8"));
    } catch {
      return { ok: false, reason: `${options.specPath} is not JSON` };
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
      return { ok: false, reason: `${options.specPath} is not a JSON object` };
    }
    return { ok: true, doc: doc as Record<string, unknown> };
  } catch (err) {
    return { ok: false, reason: `${options.specPath}: ${(err as Error).message}` };
  } finally {
    clearTimeout(timer);
    balancer.release(peer);
  }
}

/** Documents per service and configuration hash, each reused for `cacheMs`. */
export class SpecCache {
  private readonly entries = new Map<string, { at: number; result: Promise<SpecResult> }>();

  constructor(private readonly cacheMs: number) {}

  get(key: string, load: () => Promise<SpecResult>): Promise<SpecResult> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit !== undefined && now - hit.at < this.cacheMs) return hit.result;
    for (const [k, e] of this.entries) if (now - e.at >= this.cacheMs) this.entries.delete(k);
    const result = load();
    this.entries.set(key, { at: now, result });
    return result;
  }
}

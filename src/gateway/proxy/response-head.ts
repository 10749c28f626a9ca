import type { ResponseHead } from "../plugins/types.js";
import { headerRecord } from "./access-log.js";
import { SERVER_TOKEN } from "./constants.js";
import type { ExitResponse } from "./context.js";
import { elapsedMs } from "./log-entry.js";

/**
 * The response heads the gateway sends: an upstream's (with the gateway's latency fields and
 * request id, the plugins' response headers on top) and the gateway's own answers.
 */

/** When the upstream part of an exchange started and when its response head arrived (performance.now()). */
export interface UpstreamTimes {
  readonly startedAt: number;
  readonly headersAt: number;
}

/** Kong's latency fields and the request id, added to every proxied response head. */
export function pushGatewayFields(
  list: string[],
  tStart: number,
  upstream: UpstreamTimes,
  requestId: string,
): void {
  list.push(
    "x-kong-upstream-latency",
    String(elapsedMs(upstream.startedAt, upstream.headersAt)),
    "x-kong-proxy-latency",
    String(elapsedMs(tStart, upstream.startedAt)),
    "x-kong-request-id",
    requestId,
  );
}

/** An upstream head as plugins see it: the fields as a record, the plugins' response headers on top. */
export function upstreamHead(
  status: number,
  fields: readonly string[],
  downstreamHeaders: Readonly<Record<string, string | string[]>> | null,
): ResponseHead {
  const head: ResponseHead = { status, headers: headerRecord(fields), source: "upstream" };
  if (downstreamHeaders !== null) for (const k in downstreamHeaders) head.headers[k] = downstreamHeaders[k]!;
  return head;
}

/**
 * The head of a gateway answer: the plugins' response headers, the exit's own, latencies —
 * only the response latency when no upstream was tried (`upstream` null, as Kong), else the
 * proxied request's — the request id and Server.
 */
export function exitHead(
  exit: ExitResponse,
  downstreamHeaders: Readonly<Record<string, string | string[]>> | null,
  tStart: number,
  upstream: UpstreamTimes | null,
  requestId: string,
): ResponseHead {
  const headers: Record<string, string | string[]> = {};
  if (downstreamHeaders !== null) for (const k in downstreamHeaders) headers[k] = downstreamHeaders[k]!;
  for (const k in exit.headers) headers[k] = exit.headers[k]!;
  const now = performance.now();
  if (upstream === null) {
    headers["x-kong-response-latency"] = String(elapsedMs(tStart, now));
  } else {
    headers["x-kong-upstream-latency"] = String(elapsedMs(upstream.startedAt, now));
    headers["x-kong-proxy-latency"] = String(elapsedMs(tStart, upstream.startedAt));
  }
  headers["x-kong-request-id"] = requestId;
  headers.server = SERVER_TOKEN;
  return { status: exit.status, headers, source: "exit" };
}

/**
 * Put the plugins' response headers (lowercased names) into a flat `[name, value, …]` list,
 * replacing the fields of the same name (as setting a header on a record would).
 */
export function overrideHeaders(list: string[], extra: Readonly<Record<string, string | string[]>>): void {
  const names = Object.keys(extra);
  if (names.length === 0) return;
  let kept = 0;
  for (let i = 0; i < list.length; i += 2) {
    if (names.includes(list[i]!.toLowerCase())) continue;
    list[kept++] = list[i]!;
    list[kept++] = list[i + 1]!;
  }
  list.length = kept;
  for (const k of names) {
    const v = extra[k]!;
    if (typeof v === "string") list.push(k, v);
    else for (const one of v) list.push(k, one);
  }
}

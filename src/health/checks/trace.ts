import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { HttpOutcome } from "../probe/http.js";
import type { CheckResult, TraceHops, TraceReport } from "../report.js";
import type { ServiceTarget } from "../targets.js";
import { check, httpStatusText, type LayerOutcome, ms, type ProbeContext, replicasOf } from "./context.js";
import { answeredByGateway, chainProbe } from "./services.js";

/**
 * End-to-end trace: one request with a fresh X-Request-ID through Caddy to the first app
 * with a usable route. The id as the gateway saw it comes from the gateway's JSON access log
 * (the line carrying the probe's unique query argument); as the app saw it from the
 * X-Request-ID the FastAPI app echoes. Time per hop from the gateway's latency headers.
 */

const LOG_POLL_MS = 60;
const LOG_POLLS = 5;

export interface TraceOutcome extends LayerOutcome {
  trace: TraceReport | null;
}

export async function traceCheck(ctx: ProbeContext): Promise<TraceOutcome> {
  const service = ctx.targets.services.find((s) => "route" in s.chain);
  const name = "X-Request-ID through the chain";
  if (!service || !("route" in service.chain))
    return {
      layer: "trace",
      trace: null,
      checks: [
        check("trace", name, "warn", null, "not attempted", {
          reason: "no app has a route the probe can use",
          hint: "see the services layer",
        }),
      ],
    };
  const requestId = randomUUID();
  const since = new Date(Date.now() - 1000);
  const outcome = await chainProbe(ctx.targets, service.chain, ctx.timeoutMs, requestId);
  const url = `${ctx.targets.publicBase}${service.chain.path}`;
  const seenAtGateway =
    outcome.ok && answeredByGateway(outcome.headers) ? await gatewaySaw(ctx, requestId, since) : null;
  const trace = traceReport(requestId, url, outcome, seenAtGateway);
  return { layer: "trace", trace, checks: [judgeTrace(name, service, trace, outcome)] };
}

export function traceReport(
  requestId: string,
  url: string,
  outcome: HttpOutcome,
  seenAtGateway: string | null,
): TraceReport {
  const headers = outcome.ok ? outcome.headers : {};
  const appId = headers["x-request-id"]?.split(",")[0]?.trim() || null;
  return {
    requestId,
    url,
    httpStatus: outcome.ok ? outcome.status : null,
    seenAt: { gateway: seenAtGateway, app: outcome.ok && outcome.status < 500 ? appId : null },
    hops: hopsFrom(outcome),
  };
}

/** edge = total − gateway − upstream (Client ↔ Caddy and Caddy itself); null where unknown. */
export function hopsFrom(outcome: HttpOutcome): TraceHops {
  if (!outcome.ok) return { edgeMs: null, gatewayMs: null, upstreamMs: null, totalMs: null };
  const num = (v: string | undefined): number | null => {
    if (v === undefined) return null;
    const n = Number(v.split(",")[0]);
    return Number.isFinite(n) && n >= 0 ? n : null;
  };
  const gatewayMs =
    num(outcome.headers["x-kong-proxy-latency"]) ?? num(outcome.headers["x-kong-response-latency"]);
  const upstreamMs = num(outcome.headers["x-kong-upstream-latency"]);
  const totalMs = outcome.ms;
  const edgeMs =
    gatewayMs === null && upstreamMs === null
      ? null
      : Math.max(0, Math.round((totalMs - (gatewayMs ?? 0) - (upstreamMs ?? 0)) * 10) / 10);
  return { edgeMs, gatewayMs, upstreamMs, totalMs };
}

/** Find the gateway's access-log line for this request (by the id or the probe's query argument). */
async function gatewaySaw(ctx: ProbeContext, requestId: string, since: Date): Promise<string | null> {
  const gateways = replicasOf(ctx.facts, "gateway").filter((g) => g.running);
  for (let attempt = 0; attempt < LOG_POLLS; attempt++) {
    const logs = await Promise.all(
      gateways.map((g) => ctx.readLogs(g.id, since).catch(() => [] as string[])),
    );
    const found = findRequestId(logs.flat(), requestId);
    if (found) return found;
    await sleep(LOG_POLL_MS);
  }
  return null;
}

/** The request id of the access-log line that mentions `token` (JSON lines: request_id). */
export function findRequestId(lines: string[], token: string): string | null {
  for (const line of lines) {
    if (!line.includes(token)) continue;
    try {
      const entry = JSON.parse(line.slice(line.indexOf("{"))) as {
        request_id?: unknown;
        request?: { id?: unknown };
      };
      const id = entry.request_id ?? entry.request?.id;
      if (typeof id === "string") return id;
    } catch {
      // not a JSON line: the token itself is proof the gateway saw the request
    }
    return token;
  }
  return null;
}

function judgeTrace(
  name: string,
  service: ServiceTarget,
  trace: TraceReport,
  outcome: HttpOutcome,
): CheckResult {
  const h = trace.hops;
  const hops =
    h.totalMs === null
      ? ""
      : [
          h.edgeMs !== null ? `edge ${ms(h.edgeMs)}` : null,
          h.gatewayMs !== null ? `gateway ${ms(h.gatewayMs)}` : null,
          h.upstreamMs !== null ? `upstream ${ms(h.upstreamMs)}` : null,
          `total ${ms(h.totalMs)}`,
        ]
          .filter(Boolean)
          .join(" · ");
  const id = trace.requestId.slice(0, 8);
  if (!outcome.ok)
    return check("trace", name, "fail", outcome.ms, `${service.name}: no answer`, {
      reason: outcome.error.message,
      hint: "see the services layer for where the chain breaks",
    });
  if (outcome.status >= 400)
    return check("trace", name, "fail", outcome.ms, `${service.name}: ${httpStatusText(outcome.status)}`, {
      reason: `the traced request got ${httpStatusText(outcome.status)}`,
      hint: "see the services layer for where the chain breaks",
    });
  const mark = (seen: string | null): string => (seen === trace.requestId ? "✓" : seen === null ? "?" : "≠");
  const detail = `${id}… gateway ${mark(trace.seenAt.gateway)} app ${mark(trace.seenAt.app)}; ${hops}`;
  const problems: string[] = [];
  if (trace.seenAt.gateway === null) problems.push("no gateway access-log line for the request was found");
  else if (trace.seenAt.gateway !== trace.requestId)
    problems.push(`the gateway saw ${trace.seenAt.gateway}: Caddy replaced the X-Request-ID`);
  if (trace.seenAt.app === null) problems.push("the app did not echo X-Request-ID");
  else if (trace.seenAt.app !== trace.requestId) problems.push(`the app saw ${trace.seenAt.app}`);
  if (h.gatewayMs === null) problems.push("no X-Kong-Proxy-Latency header (time per hop unknown)");
  if (problems.length > 0)
    return check("trace", name, "warn", outcome.ms, detail, {
      reason: problems.join("; "),
      hint: "the gateway forwards X-Request-ID unchanged and logs it as request_id; FastAPI apps should echo it",
    });
  return check("trace", name, "ok", outcome.ms, detail);
}

import type { ContainerFacts } from "../facts.js";
import type { InContainerHttp } from "../probe/in-container.js";
import type { CheckResult, CheckStatus, LayerName } from "../report.js";
import type { HealthTargets } from "../targets.js";

/** What every layer's checks receive: the targets, the container facts, the probe tools. */
export interface ProbeContext {
  targets: HealthTargets;
  facts: ContainerFacts[];
  timeoutMs: number;
  inContainer: InContainerHttp;
  /** Log lines a container wrote since a moment (the gateway access log for the trace). */
  readLogs(containerId: string, since: Date): Promise<string[]>;
  now: Date;
}

/** A layer's checks plus whether, as far as this layer can tell, the chain serves traffic. */
export interface LayerOutcome {
  layer: LayerName;
  checks: CheckResult[];
  /** false: this layer proves the chain Client → Caddy → gateway → app does not serve. */
  serves?: boolean;
}

/** Replicas of a compose service, by replica number. */
export function replicasOf(facts: ContainerFacts[], service: string): ContainerFacts[] {
  return facts.filter((f) => f.service === service).sort((a, b) => a.number - b.number);
}

/** Preference for running probe programs: node (gateway) first, then tools with wget/curl, then apps. */
const PROBE_HOST_ORDER = ["gateway", "prometheus", "caddy"];

/** A running container attached to `network` to probe from (gateway preferred), or undefined. */
export function probeHostOn(
  facts: ContainerFacts[],
  network: string,
  avoidService?: string,
): ContainerFacts | undefined {
  const candidates = facts.filter((f) => f.running && network in f.networks);
  const rank = (f: ContainerFacts): number => {
    const i = PROBE_HOST_ORDER.indexOf(f.service);
    return (i < 0 ? PROBE_HOST_ORDER.length : i) * 2 + (f.service === avoidService ? 1 : 0);
  };
  return candidates.sort((a, b) => rank(a) - rank(b) || a.number - b.number)[0];
}

export function check(
  layer: LayerName,
  name: string,
  status: CheckStatus,
  latencyMs: number | null,
  detail: string,
  why?: { reason?: string; hint?: string },
): CheckResult {
  const out: CheckResult = { name, layer, status, latencyMs, detail };
  if (status !== "ok") {
    if (why?.reason) out.reason = why.reason;
    if (why?.hint) out.hint = why.hint;
  }
  return out;
}

export function worst(statuses: CheckStatus[]): CheckStatus {
  if (statuses.includes("fail")) return "fail";
  if (statuses.includes("warn")) return "warn";
  return "ok";
}

/** "200 OK" style short text for an HTTP status. */
export function httpStatusText(status: number): string {
  const names: Record<number, string> = {
    200: "OK",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  return names[status] ? `${status} ${names[status]}` : String(status);
}

/** "12 ms" */
export function ms(value: number): string {
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

/** First `message` field of a JSON body (Kong error bodies), else a trimmed snippet. */
export function bodyMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; detail?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
    if (typeof parsed.detail === "string") return parsed.detail;
  } catch {
    // not JSON
  }
  const t = body.replace(/\s+/g, " ").trim();
  return t.length > 80 ? `${t.slice(0, 77)}…` : t;
}

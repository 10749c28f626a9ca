import type { HealthcheckActive, HealthcheckPassive } from "../config/types.js";

/** Kong's health values for a target / address. */
export type HealthStatus = "HEALTHY" | "UNHEALTHY" | "DNS_ERROR" | "HEALTHCHECKS_OFF";

/** What one proxied request or probe tells about an address. */
export type HealthOutcome =
  | { kind: "status"; status: number }
  | { kind: "success" }
  | { kind: "tcp_failure" }
  | { kind: "timeout" };

interface Thresholds {
  healthyStatuses: ReadonlySet<number>;
  unhealthyStatuses: ReadonlySet<number>;
  successes: number;
  httpFailures: number;
  tcpFailures: number;
  timeouts: number;
}

export function activeThresholds(a: HealthcheckActive): Thresholds {
  return {
    healthyStatuses: new Set(a.healthy.http_statuses),
    unhealthyStatuses: new Set(a.unhealthy.http_statuses),
    successes: a.healthy.successes,
    httpFailures: a.unhealthy.http_failures,
    tcpFailures: a.unhealthy.tcp_failures,
    timeouts: a.unhealthy.timeouts,
  };
}

export function passiveThresholds(p: HealthcheckPassive): Thresholds {
  return {
    healthyStatuses: new Set(p.healthy.http_statuses),
    unhealthyStatuses: new Set(p.unhealthy.http_statuses),
    successes: p.healthy.successes,
    httpFailures: p.unhealthy.http_failures,
    tcpFailures: p.unhealthy.tcp_failures,
    timeouts: p.unhealthy.timeouts,
  };
}

export function activeEnabled(a: HealthcheckActive): boolean {
  return a.healthy.interval > 0 || a.unhealthy.interval > 0;
}

export function passiveEnabled(p: HealthcheckPassive): boolean {
  const u = p.unhealthy;
  return p.healthy.successes > 0 || u.http_failures > 0 || u.tcp_failures > 0 || u.timeouts > 0;
}

/**
 * The health state machine of one address (lua-resty-healthcheck semantics): consecutive
 * successes make an unhealthy address healthy; consecutive failures of one kind (http,
 * tcp, timeout) past their threshold make a healthy one unhealthy; a 0 threshold disables
 * that criterion. Successes reset the failure counters and vice versa.
 */
export class HealthCounter {
  healthy = true;
  private successes = 0;
  private httpFailures = 0;
  private tcpFailures = 0;
  private timeouts = 0;

  /** Apply one outcome; returns true when the health flipped. */
  record(outcome: HealthOutcome, t: Thresholds): boolean {
    if (outcome.kind === "success") return this.success(t);
    if (outcome.kind === "status") {
      if (t.healthyStatuses.has(outcome.status)) return this.success(t);
      if (t.unhealthyStatuses.has(outcome.status)) {
        this.successes = 0;
        this.httpFailures++;
        return t.httpFailures > 0 && this.httpFailures >= t.httpFailures && this.setHealthy(false);
      }
      return false;
    }
    this.successes = 0;
    if (outcome.kind === "tcp_failure") {
      this.tcpFailures++;
      return t.tcpFailures > 0 && this.tcpFailures >= t.tcpFailures && this.setHealthy(false);
    }
    this.timeouts++;
    return t.timeouts > 0 && this.timeouts >= t.timeouts && this.setHealthy(false);
  }

  /** Force a state (Admin API / tests). */
  setHealthy(healthy: boolean): boolean {
    this.successes = 0;
    this.httpFailures = 0;
    this.tcpFailures = 0;
    this.timeouts = 0;
    if (this.healthy === healthy) return false;
    this.healthy = healthy;
    return true;
  }

  private success(t: Thresholds): boolean {
    this.httpFailures = 0;
    this.tcpFailures = 0;
    this.timeouts = 0;
    if (this.healthy) return false;
    this.successes++;
    return t.successes > 0 && this.successes >= t.successes && this.setHealthy(true);
  }
}

type Healthchecks = GatewayUpstreamHealthchecks;
type GatewayUpstreamHealthchecks = {
  active: HealthcheckActive;
  passive: HealthcheckPassive;
  threshold: number;
};

/** Kong's healthcheck defaults (all checks off). */
export const DEFAULT_HEALTHCHECKS: Healthchecks = {
  active: {
    type: "http",
    http_path: "/",
    timeout: 1,
    concurrency: 10,
    https_verify_certificate: true,
    headers: null,
    healthy: { interval: 0, successes: 0, http_statuses: [200, 302] },
    unhealthy: {
      interval: 0,
      http_failures: 0,
      tcp_failures: 0,
      timeouts: 0,
      http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
    },
  },
  passive: {
    type: "http",
    healthy: {
      successes: 0,
      http_statuses: [
        200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
      ],
    },
    unhealthy: { http_failures: 0, tcp_failures: 0, timeouts: 0, http_statuses: [429, 500, 503] },
  },
  threshold: 0,
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function mergeDefaults<T>(defaults: T, given: unknown): T {
  if (!isRecord(defaults) || !isRecord(given)) return (given ?? defaults) as T;
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    out[k] = isRecord((defaults as Record<string, unknown>)[k])
      ? mergeDefaults((defaults as Record<string, unknown>)[k], v)
      : v;
  }
  return out as T;
}

/** A complete healthchecks object: whatever the upstream sets, Kong's defaults for the rest. */
export function withHealthcheckDefaults(given: unknown): Healthchecks {
  return mergeDefaults(DEFAULT_HEALTHCHECKS, given);
}

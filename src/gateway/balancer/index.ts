import type { GatewayConfig, GatewayService, GatewayUpstream } from "../config/types.js";
import { DEFAULT_HEALTHCHECKS } from "./health.js";
import { type BalancerDeps, type TargetHealthReport, UpstreamBalancer } from "./upstream-balancer.js";

export type { Peer } from "./algorithms.js";
export type { Resolver } from "./dns.js";
export { systemResolver } from "./dns.js";
export type { DnsRecordType, DnsSettings } from "./dns-client.js";
export { DEFAULT_DNS_ORDER, dnsResolver, parseDnsOrder, parseDnsResolver } from "./dns-client.js";
export type { HealthOutcome, HealthStatus } from "./health.js";
export type { BalancerDeps, HashSource, TargetHealthReport } from "./upstream-balancer.js";
export { hostHeaderFor, UpstreamBalancer } from "./upstream-balancer.js";

/** How long a config load waits for first DNS answers before serving anyway. */
const FIRST_RESOLUTION_BUDGET_MS = 3000;

/**
 * Every balancer of one loaded configuration: one per Kong upstream, plus one per distinct
 * service `host:port` that is not an upstream name (its DNS records are balanced
 * round-robin, as Kong does). Balancers whose definition did not change are carried over
 * from the previous set on a config swap, keeping their health and DNS state.
 */
export class BalancerSet {
  private readonly byName = new Map<string, UpstreamBalancer>();
  private readonly byId = new Map<string, UpstreamBalancer>();
  private readonly implicit = new Map<string, UpstreamBalancer>();
  /** service id → its balancer (resolved once per config, not per request) */
  private readonly byService = new Map<string, UpstreamBalancer>();
  private readonly all: UpstreamBalancer[] = [];
  private readonly bySignature = new Map<string, UpstreamBalancer>();
  private readonly adopted = new Set<UpstreamBalancer>();

  static async build(
    config: GatewayConfig,
    deps: BalancerDeps,
    previous?: BalancerSet,
  ): Promise<BalancerSet> {
    const set = new BalancerSet();
    const starting: Promise<void>[] = [];
    const take = (signature: string, make: () => UpstreamBalancer): UpstreamBalancer => {
      const reused = previous?.claim(signature);
      const b = reused ?? make();
      if (reused === undefined) starting.push(b.start());
      set.all.push(b);
      set.bySignature.set(signature, b);
      return b;
    };
    const targetsByUpstream = new Map<string, GatewayConfig["targets"]>();
    for (const t of config.targets) {
      const list = targetsByUpstream.get(t.upstream);
      if (list === undefined) targetsByUpstream.set(t.upstream, [t]);
      else list.push(t);
    }
    for (const u of config.upstreams) {
      const targets = targetsByUpstream.get(u.id) ?? [];
      const signature = `u|${JSON.stringify(u)}|${JSON.stringify(targets)}`;
      const b = take(signature, () => new UpstreamBalancer(u, targets, deps, true));
      set.byName.set(u.name, b);
      set.byId.set(u.id, b);
    }
    for (const s of config.services) {
      const upstream = set.byName.get(s.host);
      if (upstream !== undefined) {
        set.byService.set(s.id, upstream);
        continue;
      }
      const key = serviceKey(s);
      let b = set.implicit.get(key);
      if (b === undefined) {
        b = take(
          `s|${key}`,
          () => new UpstreamBalancer(implicitUpstream(s), [implicitTarget(s)], deps, false),
        );
        set.implicit.set(key, b);
      }
      set.byService.set(s.id, b);
    }
    if (starting.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, FIRST_RESOLUTION_BUDGET_MS);
        timer.unref();
      });
      await Promise.race([Promise.all(starting), budget]);
      clearTimeout(timer);
    }
    return set;
  }

  /** The balancer a service sends to (its upstream, or its own host). */
  forService(service: GatewayService): UpstreamBalancer | undefined {
    return (
      this.byService.get(service.id) ??
      this.byName.get(service.host) ??
      this.implicit.get(serviceKey(service))
    );
  }

  upstream(nameOrId: string): UpstreamBalancer | undefined {
    return this.byName.get(nameOrId) ?? this.byId.get(nameOrId);
  }

  /** Kong upstreams only (not service hosts). */
  upstreams(): UpstreamBalancer[] {
    return [...this.byName.values()];
  }

  /** Kong's `/upstreams/{name}/health` data, or null for an unknown upstream. */
  health(nameOrId: string): TargetHealthReport[] | null {
    return this.upstream(nameOrId)?.health() ?? null;
  }

  /** Stop timers of every balancer not carried over into a newer set. */
  close(): void {
    for (const b of this.all) if (!this.adopted.has(b)) b.close();
  }

  private claim(signature: string): UpstreamBalancer | undefined {
    const b = this.bySignature.get(signature);
    if (b === undefined || this.adopted.has(b)) return undefined;
    this.adopted.add(b);
    return b;
  }
}

function serviceKey(s: GatewayService): string {
  return `${s.host}:${s.port}`;
}

function implicitTarget(s: GatewayService): GatewayConfig["targets"][number] {
  const host = s.host.includes(":") && !s.host.startsWith("[") ? `[${s.host}]` : s.host;
  return {
    id: `service:${s.host}:${s.port}`,
    upstream: "",
    target: `${host}:${s.port}`,
    weight: 100,
    tags: [],
  };
}

/** A Kong upstream with its defaults, standing for a plain service host. */
function implicitUpstream(s: GatewayService): GatewayUpstream {
  return {
    id: `service:${s.host}:${s.port}`,
    name: s.host,
    algorithm: "round-robin",
    hash_on: "none",
    hash_fallback: "none",
    hash_on_header: null,
    hash_fallback_header: null,
    hash_on_cookie: null,
    hash_on_cookie_path: "/",
    hash_on_query_arg: null,
    hash_fallback_query_arg: null,
    hash_on_uri_capture: null,
    hash_fallback_uri_capture: null,
    slots: 10000,
    host_header: null,
    healthchecks: DEFAULT_HEALTHCHECKS,
    tags: [],
  };
}

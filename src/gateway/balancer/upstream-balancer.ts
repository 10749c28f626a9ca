import type { GatewayTarget, GatewayUpstream } from "../config/types.js";
import { ProbeTimeoutError } from "../errors.js";
import type { GatewayLogger } from "../plugins/types.js";
import { type DispatchTarget, requestTarget, type UpstreamPools } from "../transport/dispatch.js";
import { type Algorithm, ConsistentHashing, LeastConnections, type Peer, RoundRobin } from "./algorithms.js";
import { isIpAddress, parseTarget, type Resolver, stripBrackets } from "./dns.js";
import {
  activeEnabled,
  activeThresholds,
  HealthCounter,
  type HealthOutcome,
  type HealthStatus,
  passiveEnabled,
  passiveThresholds,
  withHealthcheckDefaults,
} from "./health.js";
import { LatencyEwma } from "./latency.js";

/** What the balancer may hash on, computed lazily from the request. */
export interface HashSource {
  value(kind: GatewayUpstream["hash_on"], name: string | null): string | null;
}

export interface BalancerDeps {
  resolver: Resolver;
  pools: UpstreamPools;
  logger: GatewayLogger;
  /** how often host names are re-resolved, ms */
  dnsRefreshMs: number;
  /** called when an address changes health (metrics, logs) */
  onHealthChange?: (upstream: string, peer: Peer, healthy: boolean) => void;
}

interface TargetState {
  def: GatewayTarget;
  host: string;
  port: number;
  isIp: boolean;
  dnsError: string | null;
  resolved: boolean;
}

/** Kong's `/upstreams/{name}/health` entry for one target. */
export interface TargetHealthReport {
  id: string;
  target: string;
  weight: number;
  tags: string[] | null;
  upstream: { id: string };
  health: HealthStatus;
  data: { addresses: Array<{ ip: string; port: number; weight: number; health: HealthStatus }> };
}

const ACTIVE_CONCURRENCY_DEFAULT = 10;
/** re-resolve this long after a TTL ran out (Kong's 0.5 s: the answer has surely expired) */
const TTL_MARGIN_MS = 500;

/**
 * Balances one upstream (or one service host): expands targets into one peer per resolved
 * address, re-resolves host names periodically, picks peers with the upstream's algorithm,
 * tracks health from active probes and proxied traffic.
 */
export class UpstreamBalancer {
  readonly upstream: GatewayUpstream;
  /** false for a service host (no Kong upstream entity): health checks off */
  readonly explicit: boolean;
  peers: Peer[] = [];
  private readonly targets: TargetState[];
  private readonly algorithm: Algorithm;
  private readonly deps: BalancerDeps;
  private readonly checksActive: boolean;
  private readonly checksPassive: boolean;
  private readonly passive;
  private readonly active;
  private dnsTimer: NodeJS.Timeout | null = null;
  /** the shortest TTL of the last DNS answers, seconds (null: the resolver gave none) */
  private ttl: number | null = null;
  private healthyTimer: NodeJS.Timeout | null = null;
  private unhealthyTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** a DNS refresh in flight (a slow resolver never piles up lookups) */
  private refreshing: Promise<void> | null = null;
  /** a probe round in flight, per kind (healthy peers / unhealthy peers) */
  private readonly probing = { healthy: false, unhealthy: false };

  constructor(upstream: GatewayUpstream, targets: GatewayTarget[], deps: BalancerDeps, explicit = true) {
    this.upstream = { ...upstream, healthchecks: withHealthcheckDefaults(upstream.healthchecks) };
    upstream = this.upstream;
    this.explicit = explicit;
    this.deps = deps;
    this.targets = targets.map((def) => {
      const { host, port } = parseTarget(def.target);
      return { def, host, port, isIp: isIpAddress(host), dnsError: null, resolved: false };
    });
    this.algorithm =
      upstream.algorithm === "least-connections"
        ? new LeastConnections()
        : upstream.algorithm === "consistent-hashing"
          ? new ConsistentHashing(upstream.slots)
          : upstream.algorithm === "latency"
            ? new LatencyEwma()
            : new RoundRobin();
    this.checksActive = explicit && activeEnabled(upstream.healthchecks.active);
    this.checksPassive = explicit && passiveEnabled(upstream.healthchecks.passive);
    this.passive = passiveThresholds(upstream.healthchecks.passive);
    this.active = activeThresholds(upstream.healthchecks.active);
  }

  get name(): string {
    return this.upstream.name;
  }

  /** Resolve every target once, then start DNS refresh and active checks (timers unref'd). */
  async start(): Promise<void> {
    await this.refreshDns();
    if (this.closed) return;
    if (this.targets.some((t) => !t.isIp)) this.scheduleDns();
    if (this.checksActive) {
      const { healthy, unhealthy } = this.upstream.healthchecks.active;
      if (healthy.interval > 0) {
        this.healthyTimer = setInterval(() => void this.probe(true), healthy.interval * 1000);
        this.healthyTimer.unref();
      }
      if (unhealthy.interval > 0) {
        this.unhealthyTimer = setInterval(() => void this.probe(false), unhealthy.interval * 1000);
        this.unhealthyTimer.unref();
      }
    }
  }

  close(): void {
    this.closed = true;
    if (this.dnsTimer !== null) clearTimeout(this.dnsTimer);
    for (const t of [this.healthyTimer, this.unhealthyTimer]) if (t !== null) clearInterval(t);
    this.dnsTimer = this.healthyTimer = this.unhealthyTimer = null;
  }

  /** Pick a peer; `exclude` holds peers already tried for this request. */
  select(hash: HashSource | null, exclude: ReadonlySet<Peer> | null): Peer | null {
    const peers = this.peers;
    if (peers.length === 0) return null;
    const threshold = this.upstream.healthchecks.threshold;
    if (threshold > 0 && this.healthyWeightPercent() < threshold) return null;
    let key: string | null = null;
    if (
      hash !== null &&
      this.upstream.algorithm === "consistent-hashing" &&
      this.upstream.hash_on !== "none"
    ) {
      key = this.hashKey(hash);
    }
    const peer = this.algorithm.pick(peers, key, exclude);
    if (peer !== null) peer.active++;
    return peer;
  }

  /** A request on `peer` ended (least-connections bookkeeping). */
  release(peer: Peer): void {
    if (peer.active > 0) peer.active--;
  }

  /** How long an attempt on `peer` took, seconds (the latency algorithm's moving average). */
  observe(peer: Peer, seconds: number): void {
    this.algorithm.observe?.(peer, seconds);
  }

  /** Passive health: what a proxied request saw. */
  report(peer: Peer, outcome: HealthOutcome): void {
    if (!this.checksPassive) return;
    if (peer.health.record(outcome, this.passive)) this.healthChanged(peer);
  }

  /** Is a peer still part of this balancer (not dropped by a DNS refresh)? */
  get hasDnsTargets(): boolean {
    return this.targets.some((t) => !t.isIp);
  }

  /** Kong's health report for every target. */
  health(): TargetHealthReport[] {
    return this.targets.map((t) => {
      const peers = this.peers.filter((p) => p.targetId === t.def.id);
      const addresses = peers.map((p) => ({
        ip: p.ip,
        port: p.port,
        weight: p.weight,
        health: this.peerHealth(p),
      }));
      let health: HealthStatus;
      if (t.dnsError !== null && peers.length === 0) health = "DNS_ERROR";
      else if (!this.checksActive && !this.checksPassive) health = "HEALTHCHECKS_OFF";
      else health = peers.some((p) => p.health.healthy) ? "HEALTHY" : "UNHEALTHY";
      return {
        id: t.def.id,
        target: t.def.target,
        weight: t.def.weight,
        tags: t.def.tags,
        upstream: { id: this.upstream.id },
        health,
        data: { addresses },
      };
    });
  }

  peerHealth(p: Peer): HealthStatus {
    if (!this.checksActive && !this.checksPassive) return "HEALTHCHECKS_OFF";
    return p.health.healthy ? "HEALTHY" : "UNHEALTHY";
  }

  /** Admin: mark an address (or a whole target) healthy or unhealthy. */
  setHealth(targetOrAddress: string, healthy: boolean): boolean {
    let changed = false;
    for (const p of this.peers) {
      if (p.target === targetOrAddress || p.key === targetOrAddress || p.targetId === targetOrAddress) {
        if (p.health.setHealthy(healthy)) this.healthChanged(p);
        changed = true;
      }
    }
    return changed;
  }

  /**
   * Re-resolve host-name targets; rebuild peers keeping the health of known addresses. An
   * address that is no longer returned is dropped at once (a stopped Docker replica loses its
   * record). A name that no longer exists (ENOTFOUND) loses all its addresses; a failed
   * lookup (resolver unreachable, EAI_AGAIN…) keeps the last known ones.
   */
  refreshDns(): Promise<void> {
    if (this.refreshing === null) {
      this.refreshing = this.resolveAll().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /**
   * The next DNS refresh: when the answers carried TTLs, once the shortest has run out (plus half
   * a second, as Kong); otherwise after the periodic refresh interval.
   */
  private scheduleDns(): void {
    if (this.closed) return;
    const delay = this.ttl === null ? this.deps.dnsRefreshMs : this.ttl * 1000 + TTL_MARGIN_MS;
    this.dnsTimer = setTimeout(() => {
      void this.refreshDns().finally(() => this.scheduleDns());
    }, delay);
    this.dnsTimer.unref();
  }

  private async resolveAll(): Promise<void> {
    const previous = new Map(this.peers.map((p) => [`${p.targetId}|${p.key}|${p.weight}`, p]));
    let ttl: number | null = null;
    const perTarget = await Promise.all(
      this.targets.map(async (t) => {
        const list: Peer[] = [];
        let addresses: Array<{ ip: string; port: number; weight: number }>;
        if (t.isIp) {
          addresses = [{ ip: stripBrackets(t.host), port: t.port, weight: t.def.weight }];
        } else {
          try {
            const records = await this.deps.resolver(t.host);
            // an SRV answer brings each record's port and weight
            addresses = records.map((r) => ({
              ip: r.address,
              port: r.port ?? t.port,
              weight: r.weight ?? t.def.weight,
            }));
            for (const r of records) if (r.ttl !== undefined) ttl = Math.min(ttl ?? r.ttl, r.ttl);
            t.dnsError = addresses.length === 0 ? "no addresses" : null;
          } catch (err) {
            t.dnsError = (err as Error).message;
            // the name is gone: no addresses; otherwise keep the stale ones rather than none
            addresses = isNameGone(err)
              ? []
              : this.peers
                  .filter((p) => p.targetId === t.def.id)
                  .map((p) => ({ ip: p.ip, port: p.port, weight: p.weight }));
            if (!t.resolved)
              this.deps.logger.warn("DNS resolution failed", { host: t.host, error: t.dnsError });
          }
        }
        t.resolved = true;
        const seen = new Set<string>();
        for (const { ip, port, weight } of addresses) {
          const key = ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const old = previous.get(`${t.def.id}|${key}|${weight}`);
          list.push(
            old ?? {
              key,
              ip,
              port,
              weight,
              target: t.def.target,
              hostname: t.host,
              targetId: t.def.id,
              health: new HealthCounter(),
              active: 0,
              current: 0,
            },
          );
        }
        return list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      }),
    );
    if (this.closed) return;
    this.ttl = ttl;
    const next = perTarget.flat();
    const changed = next.length !== this.peers.length || next.some((p, i) => this.peers[i] !== p);
    if (changed) {
      this.peers = next;
      this.algorithm.rebuild(next);
    }
  }

  private healthyWeightPercent(): number {
    let total = 0;
    let healthy = 0;
    for (const p of this.peers) {
      total += p.weight;
      if (p.health.healthy) healthy += p.weight;
    }
    return total === 0 ? 0 : (healthy * 100) / total;
  }

  /** Kong's hash_on, then hash_fallback when the first gives nothing. */
  private hashKey(hash: HashSource): string | null {
    const u = this.upstream;
    const primary = hash.value(u.hash_on, hashArgument(u, u.hash_on, "on"));
    if (primary !== null && primary !== "") return primary;
    if (u.hash_fallback === "none") return null;
    const fallback = hash.value(u.hash_fallback, hashArgument(u, u.hash_fallback, "fallback"));
    return fallback !== null && fallback !== "" ? fallback : null;
  }

  private healthChanged(peer: Peer): void {
    const healthy = peer.health.healthy;
    this.deps.logger.warn(healthy ? "upstream target healthy" : "upstream target unhealthy", {
      upstream: this.upstream.name,
      target: peer.target,
      address: peer.key,
    });
    this.deps.onHealthChange?.(this.upstream.name, peer, healthy);
  }

  /** One round of active probes of the healthy (or unhealthy) peers. */
  private async probe(healthyOnes: boolean): Promise<void> {
    const kind = healthyOnes ? "healthy" : "unhealthy";
    if (this.closed || this.probing[kind]) return;
    this.probing[kind] = true;
    try {
      const candidates = this.peers.filter((p) => p.health.healthy === healthyOnes && p.weight > 0);
      const concurrency = Math.max(
        1,
        this.upstream.healthchecks.active.concurrency || ACTIVE_CONCURRENCY_DEFAULT,
      );
      for (let i = 0; i < candidates.length; i += concurrency) {
        await Promise.all(candidates.slice(i, i + concurrency).map((p) => this.probeOne(p)));
        if (this.closed) return;
      }
    } finally {
      this.probing[kind] = false;
    }
  }

  private async probeOne(peer: Peer): Promise<void> {
    const a = this.upstream.healthchecks.active;
    const protocol = a.type === "https" ? "https" : "http";
    const target: DispatchTarget = {
      host: peer.ip,
      port: peer.port,
      protocol,
      servername: a.https_sni ?? peer.hostname,
    };
    const timeoutMs = Math.max(1, a.timeout * 1000);
    const headers: Record<string, string | string[]> = {
      host: this.upstream.host_header ?? hostHeaderFor(peer.hostname, peer.port, protocol),
      "user-agent": "gatestack-healthcheck",
    };
    for (const [k, v] of Object.entries(a.headers ?? {})) headers[k.toLowerCase()] = v;
    let outcome: HealthOutcome;
    try {
      if (a.type === "tcp") {
        await tcpProbe(peer.ip, peer.port, timeoutMs);
        outcome = { kind: "success" };
      } else {
        const res = await requestTarget(this.deps.pools, target, {
          method: "GET",
          path: a.http_path,
          headers,
          connectTimeout: timeoutMs,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          reset: true,
        });
        outcome = { kind: "status", status: res.status };
      }
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      outcome = code.includes("TIMEOUT") ? { kind: "timeout" } : { kind: "tcp_failure" };
    }
    if (this.closed) return;
    if (peer.health.record(outcome, this.active)) this.healthChanged(peer);
  }
}

/** An authoritative "no such name" from the resolver (as opposed to a failed lookup). */
function isNameGone(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "ENOTFOUND" || code === "ENODATA" || code === "NXDOMAIN";
}

/** The header / query argument / capture name a hash kind reads (the cookie name is shared). */
function hashArgument(
  u: GatewayUpstream,
  kind: GatewayUpstream["hash_on"],
  which: "on" | "fallback",
): string | null {
  switch (kind) {
    case "header":
      return which === "on" ? u.hash_on_header : u.hash_fallback_header;
    case "query_arg":
      return which === "on" ? u.hash_on_query_arg : u.hash_fallback_query_arg;
    case "uri_capture":
      return which === "on" ? u.hash_on_uri_capture : u.hash_fallback_uri_capture;
    case "cookie":
      return u.hash_on_cookie;
    default:
      return null;
  }
}

/** Host header for a target: name plus port unless it is the scheme's default. */
export function hostHeaderFor(host: string, port: number, protocol: "http" | "https"): string {
  const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return (protocol === "http" && port === 80) || (protocol === "https" && port === 443) ? h : `${h}:${port}`;
}

async function tcpProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import("node:net");
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ProbeTimeoutError(timeoutMs));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

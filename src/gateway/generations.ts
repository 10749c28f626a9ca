/**
 * Configuration generations: each loaded configuration becomes a snapshot built off to the side
 * (router, plugin handlers, balancers), swapped in with one reference assignment, and retired once
 * the requests that started on it have finished (bounded) — whatever the configuration came from
 * (a file, `POST /config`, the database). Requests hold the snapshot they started on.
 */
import { AdminRouteTable } from "./admin-routes.js";
import { BalancerSet, type Resolver } from "./balancer/index.js";
import type { GatewayConfig } from "./config/types.js";
import { buildCredentialIndex } from "./credentials.js";
import { compactHeap } from "./heap.js";
import type { TracingSettings } from "./plugins/_shared/tracing-settings.js";
import type { PluginRegistry } from "./plugins/registry.js";
import type {
  GatewayLogger,
  GatewayRuntimeInfo,
  PluginDatabase,
  PluginEntityWriter,
  PluginEnvironment,
} from "./plugins/types.js";
import { PluginSet } from "./proxy/pipeline.js";
import { buildRouter } from "./router/index.js";
import type { GatewaySnapshot } from "./snapshot.js";
import type { RuntimeEntities } from "./store/records.js";
import type { UpstreamPools } from "./transport/dispatch.js";

/** What building a snapshot needs from the running gateway. */
export interface SnapshotDeps {
  registry: PluginRegistry;
  logger: GatewayLogger;
  pools: UpstreamPools;
  resolver: Resolver;
  dnsRefreshMs: number;
  /** Kong's tracing settings, for the tracing plugins */
  tracing: TracingSettings;
  runtime: GatewayRuntimeInfo & { readonly nodeId: string; readonly metrics: { readonly registry: unknown } };
  /** one full garbage collection after a replaced snapshot is released (heap.ts) */
  heapCompaction: boolean;
  /** database mode: the database plugins keep shared state in (cluster counters); null DB-less */
  database?: () => PluginDatabase | null;
  /** database mode: the plugins' entity writes (oauth2 tokens); null DB-less */
  entities(): PluginEntityWriter | null;
}

const RETIRE_TIMEOUT_MS = 60_000;
/** Delay of the heap compaction after a configuration swap (coalesces bursts of applies). */
const COMPACT_DELAY_MS = 200;

export class Generations {
  /** the snapshot new requests start on (null until a configuration is loaded) */
  current: GatewaySnapshot | null = null;
  /** snapshots built so far (router, plugins, balancers each time): what a reload costs */
  built = 0;
  /** database mode: changes of the oauth2 tokens/codes only, served in the current snapshot */
  runtimeUpdates = 0;
  private readonly retiring = new Map<GatewaySnapshot, NodeJS.Timeout>();
  private compactTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly deps: SnapshotDeps) {}

  /** Build a snapshot of `config` off to the side and swap it in; the old one retires. */
  async swapIn(config: GatewayConfig): Promise<GatewaySnapshot> {
    if (this.closed) throw new Error("gateway is closed");
    const snapshot = await this.build(config, this.current);
    this.built++;
    const old = this.current;
    this.current = snapshot;
    if (old !== null) this.retire(old);
    else this.compactSoon();
    return snapshot;
  }

  /**
   * The current snapshot with these oauth2 tokens and codes instead (its configuration's lists and
   * its credential index; requests already running see the change, as they would see a revoked
   * token in Kong's cache): no new router, plugins or balancers. null before any configuration.
   */
  updateRuntime(entities: RuntimeEntities): GatewayConfig | null {
    const current = this.current;
    if (current === null || this.closed) return null;
    current.config.oauth2_tokens = entities.oauth2_tokens;
    current.config.oauth2_authorization_codes = entities.oauth2_authorization_codes;
    current.credentials.reindexOAuth2(entities);
    this.runtimeUpdates++;
    return current.config;
  }

  /** A request on `snapshot` ended (drain bookkeeping): a retired snapshot closes with its last request. */
  release(snapshot: GatewaySnapshot): void {
    snapshot.inflight--;
    if (snapshot.inflight === 0 && snapshot !== this.current) {
      const timer = this.retiring.get(snapshot);
      if (timer !== undefined) {
        clearTimeout(timer);
        this.retiring.delete(snapshot);
        void this.closeSnapshot(snapshot);
      }
    }
  }

  /** Requests still running on the current and the retiring snapshots. */
  busy(): number {
    let n = this.current?.inflight ?? 0;
    for (const s of this.retiring.keys()) n += s.inflight;
    return n;
  }

  /** Close every snapshot now (the gateway stops). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pending = [...this.retiring.keys()];
    for (const t of this.retiring.values()) clearTimeout(t);
    this.retiring.clear();
    if (this.compactTimer !== null) clearTimeout(this.compactTimer);
    const current = this.current;
    this.current = null;
    for (const snap of [...pending, ...(current ? [current] : [])]) await this.closeSnapshot(snap);
  }

  private async build(config: GatewayConfig, previous: GatewaySnapshot | null): Promise<GatewaySnapshot> {
    const { deps } = this;
    const router = buildRouter(config);
    const credentials = buildCredentialIndex(config);
    const adminRoutes = new AdminRouteTable();
    const runtime = deps.runtime;
    const env: Omit<PluginEnvironment, "previous"> = {
      config,
      credentials,
      logger: deps.logger,
      get metrics() {
        return runtime.metrics.registry as PluginEnvironment["metrics"];
      },
      nodeId: runtime.nodeId,
      tracing: deps.tracing,
      adminRoutes,
      runtime,
    };
    const entities = deps.entities();
    if (entities !== null) env.entities = entities;
    const database = deps.database?.() ?? null;
    if (database !== null) env.database = database;
    const registry = deps.registry;
    const plugins = await PluginSet.build(config, (name) => registry.get(name), env, previous?.plugins);
    let balancers: BalancerSet;
    try {
      balancers = await BalancerSet.build(
        config,
        { resolver: deps.resolver, pools: deps.pools, logger: deps.logger, dnsRefreshMs: deps.dnsRefreshMs },
        previous?.balancers,
      );
    } catch (err) {
      await plugins.discard(deps.logger);
      throw err;
    }
    plugins.commit();
    return {
      config,
      router,
      plugins,
      balancers,
      credentials,
      adminRoutes,
      loadedAt: Date.now(),
      inflight: 0,
    };
  }

  /** An old snapshot is closed once its in-flight requests finished (bounded). */
  private retire(snapshot: GatewaySnapshot): void {
    if (snapshot.inflight === 0) {
      void this.closeSnapshot(snapshot);
      return;
    }
    const timer = setTimeout(() => {
      this.retiring.delete(snapshot);
      void this.closeSnapshot(snapshot);
    }, RETIRE_TIMEOUT_MS);
    timer.unref();
    this.retiring.set(snapshot, timer);
  }

  private async closeSnapshot(snapshot: GatewaySnapshot): Promise<void> {
    snapshot.balancers.close();
    await snapshot.plugins.close(this.deps.logger);
    this.compactSoon();
  }

  /**
   * After a swap, once the old snapshot is released: one full collection gives back what the
   * load left behind (heap.ts; only where V8's collector is exposed). Coalesced.
   */
  private compactSoon(): void {
    if (!this.deps.heapCompaction || this.compactTimer !== null || this.closed) return;
    this.compactTimer = setTimeout(() => {
      this.compactTimer = null;
      if (!this.closed) compactHeap();
    }, COMPACT_DELAY_MS);
    this.compactTimer.unref();
  }
}

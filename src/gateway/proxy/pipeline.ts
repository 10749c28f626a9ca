import type { GatewayConfig, GatewayPluginEntry, GatewayRoute } from "../config/types.js";
import type {
  AccessLogEntry,
  GatewayLogger,
  PluginDefinition,
  PluginEnvironment,
  PluginHandler,
  RequestContext,
  ResponseHead,
} from "../plugins/types.js";

/**
 * The plugin pipeline (Kong's plugins iterator). At config load every enabled plugin entry
 * gets one handler instance and every route a precomputed plan: for each plugin name, by
 * descending priority, the entry Kong's scope precedence picks —
 *   consumer+route+service → consumer+route → consumer+service → route+service →
 *   consumer → route → service → global
 * — with consumer-scoped choices resolved per request using the consumer known when the
 * plugin's turn comes in the access phase (so they apply to plugins running after auth).
 * A route without any plugin costs one property check per request.
 */

export interface PluginInstance {
  readonly entry: GatewayPluginEntry;
  readonly name: string;
  readonly priority: number;
  readonly handler: PluginHandler;
  readonly http: boolean;
  readonly https: boolean;
}

interface Slot {
  readonly name: string;
  /** the entry that applies when no consumer-specific one does */
  readonly fixed: PluginInstance | null;
  /** consumer id → entry, when consumer-scoped entries exist for this route */
  readonly byConsumer: ReadonlyMap<string, PluginInstance> | null;
}

export interface RoutePlan {
  readonly slots: readonly Slot[];
  readonly empty: boolean;
  /** the resolved lists when no slot depends on the consumer, per protocol */
  readonly staticHttp: readonly PluginInstance[] | null;
  readonly staticHttps: readonly PluginInstance[] | null;
  /** the plugin that traces the route's requests (a handler with startTrace), if any */
  readonly tracer: PluginInstance | null;
}

export const EMPTY_PLAN: RoutePlan = {
  slots: [],
  empty: true,
  staticHttp: [],
  staticHttps: [],
  tracer: null,
};

export type PluginLookup = (name: string) => PluginDefinition | undefined;

function scopeKey(consumer: string | null, route: string | null, service: string | null): string {
  return `${consumer ?? ""}|${route ?? ""}|${service ?? ""}`;
}

function byPriority(a: { priority: number; name: string }, b: { priority: number; name: string }): number {
  return b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

export class PluginSet {
  readonly instances: PluginInstance[];
  /** plugin name → scope key → instance */
  private readonly index = new Map<string, Map<string, PluginInstance>>();
  /** plugin name → consumer ids with any entry of that plugin */
  private readonly consumersOf = new Map<string, Set<string>>();
  /** plugin names present, by descending priority */
  private readonly names: Array<{ name: string; priority: number }>;
  private readonly routeIds: Set<string>;
  private readonly serviceIds: Set<string>;
  private readonly plans = new Map<string, RoutePlan>();
  readonly globalPlan: RoutePlan;
  /**
   * Global entries with a response or log phase, per protocol: what runs for a request the
   * gateway answers before the access phase (no route matched, https required) — Kong's
   * global plugins iterator, used when no plugins were collected for the request.
   */
  private readonly unmatchedHttp: readonly PluginInstance[];
  private readonly unmatchedHttps: readonly PluginInstance[];
  private readonly handedOn = new Set<PluginInstance>();
  private takenOver = new Map<PluginInstance, PluginInstance>();
  private previous: PluginSet | null = null;

  private constructor(instances: PluginInstance[]) {
    this.instances = instances;
    const names = new Map<string, number>();
    this.routeIds = new Set();
    this.serviceIds = new Set();
    for (const inst of instances) {
      const e = inst.entry;
      let m = this.index.get(inst.name);
      if (m === undefined) {
        m = new Map();
        this.index.set(inst.name, m);
      }
      m.set(scopeKey(e.consumer, e.route, e.service), inst);
      names.set(inst.name, inst.priority);
      if (e.consumer !== null) {
        let s = this.consumersOf.get(inst.name);
        if (s === undefined) {
          s = new Set();
          this.consumersOf.set(inst.name, s);
        }
        s.add(e.consumer);
      }
      if (e.route !== null) this.routeIds.add(e.route);
      if (e.service !== null) this.serviceIds.add(e.service);
    }
    this.names = [...names].map(([name, priority]) => ({ name, priority })).sort(byPriority);
    this.globalPlan = this.computePlan(null, null);
    const unmatched = instances
      .filter((i) => {
        const e = i.entry;
        const h = i.handler;
        const phases = h.responseHeaders !== undefined || h.responseBody !== undefined || h.log !== undefined;
        return e.consumer === null && e.route === null && e.service === null && phases;
      })
      .sort(byPriority);
    this.unmatchedHttp = unmatched.filter((i) => i.http);
    this.unmatchedHttps = unmatched.filter((i) => i.https);
  }

  /** The plugins of a request answered before the access phase: global ones, response/log phases only. */
  unmatchedPlugins(https: boolean): readonly PluginInstance[] {
    return https ? this.unmatchedHttps : this.unmatchedHttp;
  }

  /**
   * Create one handler per enabled entry. A reloaded entry (same id and plugin) gets the
   * previous handler as `env.previous`; that handler is then not closed with the old set.
   */
  static async build(
    config: GatewayConfig,
    lookup: PluginLookup,
    env: Omit<PluginEnvironment, "previous">,
    previous?: PluginSet,
  ): Promise<PluginSet> {
    const previousById = new Map<string, PluginInstance>();
    for (const inst of previous?.instances ?? []) previousById.set(inst.entry.id, inst);
    const created: PluginInstance[] = [];
    /** new instance → the previous one it took over */
    const reused = new Map<PluginInstance, PluginInstance>();
    try {
      for (const entry of config.plugins) {
        if (!entry.enabled) continue;
        const def = lookup(entry.name);
        if (def === undefined) throw new Error(`plugin '${entry.name}' is not installed`);
        const prev = previousById.get(entry.id);
        const reuse = prev !== undefined && prev.name === entry.name ? prev : undefined;
        const handler = await def.create(
          entry,
          // not a spread: that would read every getter of env (metrics loads prom-client)
          reuse === undefined
            ? env
            : Object.assign(Object.create(env) as typeof env, { previous: reuse.handler }),
        );
        const protocols = entry.protocols;
        const inst: PluginInstance = {
          entry,
          name: entry.name,
          priority: def.priority,
          handler,
          http: protocols.length === 0 || protocols.includes("http") || protocols.includes("ws"),
          https: protocols.length === 0 || protocols.includes("https") || protocols.includes("wss"),
        };
        created.push(inst);
        if (reuse !== undefined) reused.set(inst, reuse);
      }
    } catch (err) {
      // handlers that took over a previous one may share its resources: leave those alone
      await closeAll(
        created.filter((i) => !reused.has(i)),
        env.logger,
      );
      throw err;
    }
    const set = new PluginSet(created);
    set.takenOver = reused;
    set.previous = previous ?? null;
    for (const old of reused.values()) previous?.handedOn.add(old);
    // precompute the plans of routes and services that have entries of their own
    if (created.length > 0) for (const route of config.routes) set.planFor(route);
    return set;
  }

  /** The set is being served: forget the previous set (so it can be garbage-collected). */
  commit(): void {
    this.previous = null;
    this.takenOver = new Map();
  }

  /**
   * Drop a set that was built but never served (a later build step failed): close what it
   * created itself and give the previous set back the handlers it had handed on.
   */
  async discard(logger: GatewayLogger): Promise<void> {
    for (const old of this.takenOver.values()) this.previous?.handedOn.delete(old);
    await closeAll(
      this.instances.filter((i) => !this.takenOver.has(i)),
      logger,
    );
  }

  /** The plan of a route (shared between routes whose scopes are identical). */
  planFor(route: GatewayRoute): RoutePlan {
    if (this.instances.length === 0) return EMPTY_PLAN;
    const hasRoute = this.routeIds.has(route.id);
    const service = route.service;
    const hasService = service !== null && this.serviceIds.has(service);
    if (!hasRoute && !hasService) return this.globalPlan;
    const key = hasRoute ? `r:${route.id}` : `s:${service}`;
    let plan = this.plans.get(key);
    if (plan === undefined) {
      plan = this.computePlan(route.id, service);
      this.plans.set(key, plan);
    }
    return plan;
  }

  /** Close every handler not handed on to a newer set. */
  async close(logger: GatewayLogger): Promise<void> {
    await closeAll(
      this.instances.filter((i) => !this.handedOn.has(i)),
      logger,
    );
  }

  private computePlan(route: string | null, service: string | null): RoutePlan {
    const slots: Slot[] = [];
    for (const { name } of this.names) {
      const m = this.index.get(name)!;
      const get = (c: string | null, r: string | null, s: string | null) => m.get(scopeKey(c, r, s));
      const rs = route !== null && service !== null ? get(null, route, service) : undefined;
      const r = route !== null ? get(null, route, null) : undefined;
      const s = service !== null ? get(null, null, service) : undefined;
      const g = get(null, null, null);
      const fixed = rs ?? r ?? s ?? g ?? null;
      let byConsumer: Map<string, PluginInstance> | null = null;
      for (const c of this.consumersOf.get(name) ?? []) {
        const crs = route !== null && service !== null ? get(c, route, service) : undefined;
        const cr = route !== null ? get(c, route, null) : undefined;
        const cs = service !== null ? get(c, null, service) : undefined;
        const conly = get(c, null, null);
        const pick = crs ?? cr ?? cs ?? rs ?? conly ?? r ?? s ?? g;
        if (pick !== undefined && pick !== fixed) {
          if (byConsumer === null) byConsumer = new Map();
          byConsumer.set(c, pick);
        }
      }
      if (fixed !== null || byConsumer !== null) slots.push({ name, fixed, byConsumer });
    }
    const dynamic = slots.some((s) => s.byConsumer !== null);
    const fixedList = slots.map((s) => s.fixed).filter((i): i is PluginInstance => i !== null);
    return {
      slots,
      empty: slots.length === 0,
      staticHttp: dynamic ? null : fixedList.filter((i) => i.http),
      staticHttps: dynamic ? null : fixedList.filter((i) => i.https),
      tracer: fixedList.find((i) => i.handler.startTrace !== undefined) ?? null,
    };
  }
}

async function closeAll(instances: readonly PluginInstance[], logger: GatewayLogger): Promise<void> {
  await Promise.all(
    instances.map(async (i) => {
      try {
        await i.handler.close?.();
      } catch (err) {
        logger.error("plugin close failed", { plugin: i.name, error: (err as Error).message });
      }
    }),
  );
}

function isPromise(v: unknown): v is Promise<unknown> {
  return v !== null && typeof v === "object" && typeof (v as Promise<unknown>).then === "function";
}

/**
 * Access phase: resolve each slot with the consumer known now and run its access handler,
 * stopping the handlers (not the resolution) once a plugin exits. Returns the plugins that
 * apply to this request, for the later phases. Sync unless a handler returns a promise.
 */
export function runAccess(
  ctx: RequestContext,
  plan: RoutePlan,
): readonly PluginInstance[] | Promise<readonly PluginInstance[]> {
  const https = ctx.protocol === "https";
  const resolved = https ? plan.staticHttps : plan.staticHttp;
  const trace = ctx.trace;
  if (resolved !== null) {
    for (let i = 0; i < resolved.length; i++) {
      if (ctx.exited) break;
      const inst = resolved[i]!;
      const access = inst.handler.access;
      if (access === undefined) continue;
      const t0 = trace === null ? 0 : performance.now();
      const r = access.call(inst.handler, ctx);
      if (isPromise(r)) {
        return r.then(() => {
          trace?.pluginPhase("access", inst.name, t0, performance.now());
          return continueStatic(ctx, resolved, i + 1);
        });
      }
      if (trace !== null) trace.pluginPhase("access", inst.name, t0, performance.now());
    }
    return resolved;
  }
  return continueDynamic(ctx, plan, 0, []);
}

/**
 * The access phase with its continuation (`runAccess`, sync unless a handler returns a
 * promise): `proceed` gets the plugins that apply to the request, `fail` what a handler threw.
 */
export function runAccessPhase(
  ctx: RequestContext,
  plan: RoutePlan,
  proceed: (plugins: readonly PluginInstance[]) => void,
  fail: (err: unknown) => void,
): void {
  let result: readonly PluginInstance[] | Promise<readonly PluginInstance[]>;
  try {
    const tracer = plan.tracer;
    if (tracer !== null && (ctx.protocol === "https" ? tracer.https : tracer.http)) {
      ctx.trace = tracer.handler.startTrace!(ctx);
    }
    result = runAccess(ctx, plan);
  } catch (err) {
    fail(err);
    return;
  }
  if (Array.isArray(result)) proceed(result as readonly PluginInstance[]);
  else (result as Promise<readonly PluginInstance[]>).then(proceed, fail);
}

async function continueStatic(
  ctx: RequestContext,
  resolved: readonly PluginInstance[],
  from: number,
): Promise<readonly PluginInstance[]> {
  const trace = ctx.trace;
  for (let i = from; i < resolved.length; i++) {
    if (ctx.exited) break;
    const inst = resolved[i]!;
    if (inst.handler.access === undefined) continue;
    const t0 = trace === null ? 0 : performance.now();
    await inst.handler.access(ctx);
    if (trace !== null) trace.pluginPhase("access", inst.name, t0, performance.now());
  }
  return resolved;
}

function continueDynamic(
  ctx: RequestContext,
  plan: RoutePlan,
  from: number,
  out: PluginInstance[],
): PluginInstance[] | Promise<PluginInstance[]> {
  const https = ctx.protocol === "https";
  const slots = plan.slots;
  for (let i = from; i < slots.length; i++) {
    const slot = slots[i]!;
    const consumerId = ctx.consumer?.id;
    const inst =
      (consumerId !== undefined && slot.byConsumer !== null ? slot.byConsumer.get(consumerId) : undefined) ??
      slot.fixed;
    if (inst === null || !(https ? inst.https : inst.http)) continue;
    out.push(inst);
    if (ctx.exited || inst.handler.access === undefined) continue;
    const trace = ctx.trace;
    const t0 = trace === null ? 0 : performance.now();
    const r = inst.handler.access(ctx);
    if (isPromise(r)) {
      return r.then(() => {
        trace?.pluginPhase("access", inst.name, t0, performance.now());
        return continueDynamic(ctx, plan, i + 1, out);
      });
    }
    if (trace !== null) trace.pluginPhase("access", inst.name, t0, performance.now());
  }
  return out;
}

/** Response-headers phase, by descending priority. Sync unless a handler returns a promise. */
export function runResponseHeaders(
  ctx: RequestContext,
  plugins: readonly PluginInstance[],
  head: ResponseHead,
): void | Promise<void> {
  const trace = ctx.trace;
  for (let i = 0; i < plugins.length; i++) {
    const inst = plugins[i]!;
    const fn = inst.handler.responseHeaders;
    if (fn === undefined) continue;
    const t0 = trace === null ? 0 : performance.now();
    const r = fn.call(inst.handler, ctx, head);
    if (isPromise(r)) {
      return r.then(async () => {
        trace?.pluginPhase("header_filter", inst.name, t0, performance.now());
        for (let j = i + 1; j < plugins.length; j++) {
          const next = plugins[j]!;
          if (next.handler.responseHeaders === undefined) continue;
          const t1 = trace === null ? 0 : performance.now();
          await next.handler.responseHeaders(ctx, head);
          trace?.pluginPhase("header_filter", next.name, t1, performance.now());
        }
      });
    }
    if (trace !== null) trace.pluginPhase("header_filter", inst.name, t0, performance.now());
  }
}

/**
 * The plugins that get this response's body: those with a responseBody phase whose
 * wantsResponseBody (if any) says yes. null when none does: the body streams unbuffered.
 */
export function bodyPluginsFor(
  ctx: RequestContext,
  plugins: readonly PluginInstance[],
  head: ResponseHead,
): PluginInstance[] | null {
  let out: PluginInstance[] | null = null;
  for (let i = 0; i < plugins.length; i++) {
    const inst = plugins[i]!;
    const h = inst.handler;
    if (h.responseBody === undefined) continue;
    if (h.wantsResponseBody !== undefined && !h.wantsResponseBody(ctx, head)) continue;
    if (out === null) out = [];
    out.push(inst);
  }
  return out;
}

/** Where the response phases of one answer continue (`runResponsePhases`). */
export interface ResponsePhaseSteps {
  /**
   * The head is final. `bodyPlugins` get the whole body (`runResponseBody`); null: no plugin
   * does and the body goes out as it comes. `async`: a handler returned a promise.
   */
  proceed(bodyPlugins: PluginInstance[] | null, async: boolean): void;
  /** a plugin threw or rejected: the answer cannot go on as it was */
  fail(err: unknown): void;
}

/**
 * The response phases of every answer — an upstream response, a WebSocket 101, the gateway's
 * own answer: the response-headers phase (sync unless a handler returns a promise), then which
 * plugins want the body (not asked for a 101: `withBody` false). Returns true when `proceed`
 * ran before returning.
 */
export function runResponsePhases(
  ctx: RequestContext,
  plugins: readonly PluginInstance[],
  head: ResponseHead,
  withBody: boolean,
  steps: ResponsePhaseSteps,
): boolean {
  let pending: void | Promise<void>;
  try {
    pending = runResponseHeaders(ctx, plugins, head);
  } catch (err) {
    steps.fail(err);
    return false;
  }
  if (pending === undefined) return headSettled(ctx, plugins, head, withBody, steps, false);
  pending.then(
    () => headSettled(ctx, plugins, head, withBody, steps, true),
    (err: unknown) => steps.fail(err),
  );
  return false;
}

function headSettled(
  ctx: RequestContext,
  plugins: readonly PluginInstance[],
  head: ResponseHead,
  withBody: boolean,
  steps: ResponsePhaseSteps,
  async: boolean,
): boolean {
  let bodyPlugins: PluginInstance[] | null = null;
  if (withBody) {
    try {
      bodyPlugins = bodyPluginsFor(ctx, plugins, head);
    } catch (err) {
      steps.fail(err);
      return false;
    }
  }
  steps.proceed(bodyPlugins, async);
  return true;
}

export async function runResponseBody(
  ctx: RequestContext,
  plugins: readonly PluginInstance[],
  head: ResponseHead,
  body: Buffer,
): Promise<Buffer> {
  let current = body;
  const trace = ctx.trace;
  for (const inst of plugins) {
    if (inst.handler.responseBody === undefined) continue;
    const t0 = trace === null ? 0 : performance.now();
    current = await inst.handler.responseBody(ctx, head, current);
    if (trace !== null) trace.pluginPhase("body_filter", inst.name, t0, performance.now());
  }
  return current;
}

/** Log phase: after the response finished; never throws, never delays anything. */
export function runLog(
  ctx: RequestContext,
  plugins: readonly PluginInstance[],
  entry: AccessLogEntry,
  logger: GatewayLogger,
): void {
  for (const inst of plugins) {
    const fn = inst.handler.log;
    if (fn === undefined) continue;
    try {
      const r = fn.call(inst.handler, ctx, entry);
      if (isPromise(r)) {
        r.catch((err: unknown) =>
          logger.error("plugin log phase failed", { plugin: inst.name, error: (err as Error)?.message }),
        );
      }
    } catch (err) {
      logger.error("plugin log phase failed", { plugin: inst.name, error: (err as Error)?.message });
    }
  }
}

/** Does any plugin look at or change the response head or body? */
export function hasResponsePhase(plugins: readonly PluginInstance[]): boolean {
  for (const p of plugins)
    if (p.handler.responseHeaders !== undefined || p.handler.responseBody !== undefined) return true;
  return false;
}

export function hasLogPhase(plugins: readonly PluginInstance[]): boolean {
  for (const p of plugins) if (p.handler.log !== undefined) return true;
  return false;
}

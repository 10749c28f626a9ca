import { type ContainerFacts, containerClause, replicaLabel, restartHint } from "../facts.js";
import type { InContainerOutcome } from "../probe/in-container.js";
import type { CheckResult } from "../report.js";
import {
  bodyMessage,
  check,
  httpStatusText,
  type LayerOutcome,
  ms,
  type ProbeContext,
  replicasOf,
} from "./context.js";
import { databaseReachableCheck } from "./database-reachable.js";
import { databaseSyncCheck, hashOf, replicaStateCheck } from "./gateway-database.js";

/**
 * Gateway layer, from inside each replica (exec; its status and Admin API are not published):
 * `/status/ready`, the loaded configuration_hash against the rendered gateway.yaml, and each
 * upstream's targets and their health from the Admin API (Bearer GATEWAY_ADMIN_TOKEN from .env).
 * In database mode the hash is the stored state's: replicas are compared with each other, and
 * gateway.yaml with what the database holds (gateway-database.ts).
 */

interface ReplicaView {
  replica: ContainerFacts;
  ready: InContainerOutcome;
  status: InContainerOutcome;
  upstreams: Map<string, InContainerOutcome>;
}

export async function gatewayChecks(ctx: ProbeContext): Promise<LayerOutcome> {
  const t = ctx.targets;
  const replicas = replicasOf(ctx.facts, "gateway");
  const checks: CheckResult[] = [];
  const running = replicas.filter((r) => r.running);
  const upstreamNames = t.gatewayConfig?.upstreams ?? t.services.map((s) => s.upstream);
  const auth: Record<string, string> = t.gateway.adminToken
    ? { authorization: `Bearer ${t.gateway.adminToken}` }
    : {};
  const views: ReplicaView[] = await Promise.all(
    running.map(async (replica) => {
      const get = (url: string, headers: Record<string, string> = {}) =>
        ctx.inContainer.get(replica.id, { url, headers, timeoutMs: ctx.timeoutMs });
      const [ready, status, ...health] = await Promise.all([
        get(`${t.gateway.statusUrl}/status/ready`),
        get(`${t.gateway.statusUrl}/status`),
        ...upstreamNames.map((u) =>
          get(`${t.gateway.adminUrl}/upstreams/${encodeURIComponent(u)}/health`, auth),
        ),
      ]);
      return {
        replica,
        ready: ready!,
        status: status!,
        upstreams: new Map(upstreamNames.map((u, i) => [u, health[i]!])),
      };
    }),
  );

  const database = t.gateway.database !== undefined;
  const firstView = views[0];
  const firstState = firstView && { replica: firstView.replica, hash: hashOf(firstView.status) };
  for (const replica of replicas) {
    const view = views.find((v) => v.replica.id === replica.id);
    if (!view) {
      checks.push(
        check("gateway", `${replicaLabel(replica)} ready`, "fail", null, "not running", {
          reason: containerClause(replica),
          hint: restartHint(replica),
        }),
      );
      continue;
    }
    checks.push(
      readyCheck(view),
      database ? replicaStateCheck(replica, view.status, firstState) : configCheck(ctx, view),
    );
  }
  if (database && running[0]) checks.push(await databaseSyncCheck(ctx, running[0]));
  if (replicas.length === 0) {
    checks.push(
      check("gateway", "gateway ready", "fail", null, "no gateway container", {
        reason: "the stack has no gateway container",
        hint: "run `stack up`",
      }),
    );
  }
  for (const name of upstreamNames) checks.push(upstreamCheck(ctx, name, views));
  if (t.gateway.database) checks.push(databaseReachableCheck(views));
  // Whether traffic is served is the chain's verdict (services, edge): a replica whose status
  // probe could not run may still proxy.
  return { layer: "gateway", checks };
}

function readyCheck(view: ReplicaView): CheckResult {
  const name = `${replicaLabel(view.replica)} ready`;
  const r = view.ready;
  if (!r.ok)
    return check("gateway", name, "fail", r.ms, "status listener did not answer", {
      reason: `/status/ready: ${r.error.message}`,
      hint: `see \`stack logs gateway\`; the status listener is port 8100 in the container`,
    });
  if (r.status === 200) return check("gateway", name, "ok", r.ms, `ready in ${ms(r.ms)}`);
  return check("gateway", name, "fail", r.ms, `/status/ready answered ${httpStatusText(r.status)}`, {
    reason:
      r.status === 503
        ? "no configuration loaded (the gateway refused config/gateway/gateway.yaml or has not read it yet)"
        : `/status/ready answered ${httpStatusText(r.status)}: ${bodyMessage(r.body)}`,
    hint: "run `stack gateway validate config/gateway/gateway.yaml` and see `stack logs gateway`",
  });
}

function configCheck(ctx: ProbeContext, view: ReplicaView): CheckResult {
  const name = `${replicaLabel(view.replica)} config`;
  const r = view.status;
  const expected = ctx.targets.gatewayConfig;
  if (!r.ok || r.status !== 200)
    return check("gateway", name, "warn", r.ms, "GET /status did not answer", {
      reason: r.ok ? `GET /status answered ${httpStatusText(r.status)}` : r.error.message,
      hint: "see `stack logs gateway`",
    });
  let loaded: string | undefined;
  try {
    const hash = (JSON.parse(r.body) as { configuration_hash?: unknown }).configuration_hash;
    if (typeof hash === "string") loaded = hash;
  } catch {
    loaded = undefined;
  }
  if (!loaded)
    return check("gateway", name, "warn", r.ms, "no configuration_hash in /status", {
      reason: "the gateway does not report which configuration it serves",
    });
  if (!expected)
    return check("gateway", name, "warn", r.ms, `serves ${short(loaded)}`, {
      reason: "config/gateway/gateway.yaml is missing, nothing to compare with",
      hint: "run `stack render`",
    });
  if (ctx.targets.gateway.engine === "kong")
    return check(
      "gateway",
      name,
      "ok",
      r.ms,
      `Kong serves ${short(loaded)} (Kong's hash is not comparable with the file)`,
    );
  if (loaded === expected.hash)
    return check("gateway", name, "ok", r.ms, `serves config/gateway/gateway.yaml (${short(loaded)})`);
  return check("gateway", name, "fail", r.ms, `serves ${short(loaded)}, file is ${short(expected.hash)}`, {
    reason: "the gateway serves a different configuration than config/gateway/gateway.yaml",
    hint: `apply the file: \`docker kill -s HUP ${view.replica.name}\` (reload) or \`stack up\``,
  });
}

function short(hash: string): string {
  return hash.slice(0, 12);
}

interface TargetHealth {
  target: string;
  health: string;
  addresses: Array<{ ip: string; port: number; health: string }>;
}

function parseHealth(body: string): TargetHealth[] | null {
  try {
    const data = (JSON.parse(body) as { data?: unknown }).data;
    if (!Array.isArray(data)) return null;
    return data.map((d: { target?: unknown; health?: unknown; data?: { addresses?: unknown } }) => ({
      target: String(d.target ?? "?"),
      health: String(d.health ?? "?"),
      addresses: Array.isArray(d.data?.addresses)
        ? (d.data.addresses as Array<{ ip?: unknown; port?: unknown; health?: unknown }>).map((a) => ({
            ip: String(a.ip ?? "?"),
            port: Number(a.port ?? 0),
            health: String(a.health ?? "?"),
          }))
        : [],
    }));
  } catch {
    return null;
  }
}

/** One check per upstream, merging every running replica's view (each replica checks on its own). */
function upstreamCheck(ctx: ProbeContext, upstream: string, views: ReplicaView[]): CheckResult {
  const name = `upstream ${upstream}`;
  if (views.length === 0)
    return check("gateway", name, "fail", null, "not checked", {
      reason: "no gateway replica is running",
      hint: "start the gateway with `stack up`; see why it stopped with `stack logs gateway`",
    });
  const service = ctx.targets.services.find((s) => s.upstream === upstream);
  const appReplicas = service ? replicasOf(ctx.facts, service.name) : [];
  let latency = 0;
  const problems: string[] = [];
  const healthyIps = new Set<string>();
  const unhealthyIps = new Set<string>();
  let targets: TargetHealth[] = [];
  for (const v of views) {
    const o = v.upstreams.get(upstream);
    if (!o) continue;
    latency = Math.max(latency, o.ms);
    if (!o.ok) {
      problems.push(`${replicaLabel(v.replica)}: Admin API ${o.error.message}`);
      continue;
    }
    if (o.status === 401 || o.status === 403)
      return check("gateway", name, "fail", o.ms, `Admin API answered ${httpStatusText(o.status)}`, {
        reason: "the Admin API refused GATEWAY_ADMIN_TOKEN from .env",
        hint: "the running gateway was started with another token: `stack up` recreates it with the one in .env",
      });
    if (o.status === 404)
      return check("gateway", name, "fail", o.ms, "unknown upstream", {
        reason: `${replicaLabel(v.replica)} has no upstream ${upstream}`,
        hint: "the gateway serves another configuration: see the config check",
      });
    const parsed = o.status === 200 ? parseHealth(o.body) : null;
    if (!parsed) {
      problems.push(`${replicaLabel(v.replica)}: Admin API answered ${httpStatusText(o.status)}`);
      continue;
    }
    targets = parsed;
    for (const tgt of parsed)
      for (const a of tgt.addresses)
        (a.health === "HEALTHY" || a.health === "HEALTHCHECKS_OFF" ? healthyIps : unhealthyIps).add(
          `${a.ip}:${a.port}`,
        );
    for (const tgt of parsed) if (tgt.health === "DNS_ERROR") problems.push(`${tgt.target} does not resolve`);
  }
  for (const ip of healthyIps) unhealthyIps.delete(ip);
  const detail =
    targets.length === 0
      ? "no targets"
      : `${targets.map((tg) => tg.target).join(", ")} → ${healthyIps.size} healthy${unhealthyIps.size ? `, ${unhealthyIps.size} unhealthy` : ""} address${healthyIps.size + unhealthyIps.size === 1 ? "" : "es"}`;
  const down = appReplicas.filter((r) => !r.running);
  const facts = down.length > 0 ? ` (${down.map(containerClause).join("; ")})` : "";
  if (problems.length > 0 && targets.length === 0)
    return check("gateway", name, "fail", latency, "Admin API did not answer", {
      reason: problems.join("; "),
      hint: "see `stack logs gateway`",
    });
  if (healthyIps.size === 0)
    return check("gateway", name, "fail", latency, detail, {
      reason: `no healthy target for ${service?.name ?? upstream}${problems.length ? `: ${problems.join("; ")}` : ""}${facts}`,
      hint: service
        ? `see the services layer and \`stack logs ${service.name}\``
        : "see `stack logs gateway`",
    });
  const runningApps = appReplicas.filter((r) => r.running).length;
  if (service && appReplicas.length > 0 && runningApps === 0)
    return check("gateway", name, "fail", latency, detail, {
      reason: `no ${service.name} container is running${facts}${healthyIps.size > 0 ? "; the gateway has not noticed yet (health checks lag)" : ""}`,
      hint: restartHint(down[0]!),
    });
  const missingReplicas =
    service !== undefined && (healthyIps.size < service.replicas || runningApps < service.replicas);
  if (unhealthyIps.size > 0 || problems.length > 0 || missingReplicas) {
    const what = [
      ...(unhealthyIps.size > 0 ? [`${[...unhealthyIps].join(", ")} marked unhealthy`] : []),
      ...(missingReplicas
        ? [`${healthyIps.size} of ${service.replicas} replicas of ${service.name} healthy`]
        : []),
      ...problems,
    ];
    return check("gateway", name, "warn", latency, detail, {
      reason: `${what.join("; ")}${facts}; traffic goes to the healthy ones`,
      hint: service ? `see \`stack logs ${service.name}\`` : "see `stack logs gateway`",
    });
  }
  return check("gateway", name, "ok", latency, detail);
}

import { randomUUID } from "node:crypto";
import { type ContainerFacts, containerClause, replicaLabel, restartHint } from "../facts.js";
import { type HttpOutcome, httpProbe } from "../probe/http.js";
import type { InContainerOutcome } from "../probe/in-container.js";
import type { CheckResult, CheckStatus } from "../report.js";
import type { ChainRoute, HealthTargets, ServiceTarget } from "../targets.js";
import {
  bodyMessage,
  check,
  httpStatusText,
  type LayerOutcome,
  ms,
  type ProbeContext,
  probeHostOn,
  replicasOf,
} from "./context.js";

/**
 * Services layer: each app's health path
 *  - directly, per replica, from inside the backend network (exec in a gateway container,
 *    the same network path the gateway uses), and
 *  - through the whole chain, Client → Caddy → gateway → app, on the published port with the
 *    public route prefix (and a credential when the route needs one),
 * so a routing fault (app fine, chain broken) is told apart from an app fault. Failures are
 * explained with what the other probes and the container facts show.
 */

interface DirectResult {
  replica: ContainerFacts;
  outcome: InContainerOutcome | null;
  check: CheckResult;
}

export async function serviceChecks(ctx: ProbeContext): Promise<LayerOutcome> {
  const results = await Promise.all(ctx.targets.services.map((s) => checkService(ctx, s)));
  const attempted = results.filter((r) => r.chainAttempted);
  return {
    layer: "services",
    checks: results.flatMap((r) => r.checks),
    ...(attempted.length > 0 ? { serves: attempted.some((r) => r.chainOk) } : {}),
  };
}

async function checkService(
  ctx: ProbeContext,
  service: ServiceTarget,
): Promise<{ checks: CheckResult[]; chainAttempted: boolean; chainOk: boolean }> {
  const [direct, chain] = await Promise.all([
    directChecks(ctx, service),
    "route" in service.chain ? chainProbe(ctx.targets, service.chain, ctx.timeoutMs) : Promise.resolve(null),
  ]);
  const checks: CheckResult[] = [];
  let chainOk = false;
  if (chain && "route" in service.chain) {
    const c = chainCheck(ctx, service, service.chain, chain, direct);
    chainOk = c.status !== "fail";
    checks.push(c);
  } else if ("skip" in service.chain) {
    checks.push(
      check("services", `${service.name} through the chain`, "warn", null, "not checked", {
        reason: service.chain.skip,
        hint: "add a route whose path reaches the health path, or a consumer credential in .env",
      }),
    );
  }
  checks.push(...direct.map((d) => d.check));
  return { checks, chainAttempted: chain !== null, chainOk };
}

async function directChecks(ctx: ProbeContext, service: ServiceTarget): Promise<DirectResult[]> {
  const replicas = replicasOf(ctx.facts, service.name);
  const host = probeHostOn(ctx.facts, "backend", service.name);
  return Promise.all(
    replicas.map(async (replica): Promise<DirectResult> => {
      const name = `${replicaLabel(replica)} direct`;
      const result = (
        outcome: InContainerOutcome | null,
        status: CheckStatus,
        latencyMs: number | null,
        detail: string,
        why?: { reason?: string; hint?: string },
      ): DirectResult => ({
        replica,
        outcome,
        check: check("services", name, status, latencyMs, detail, why),
      });
      if (!replica.running)
        return result(null, "fail", null, "not running", {
          reason: containerClause(replica),
          hint: restartHint(replica),
        });
      if (!host)
        return result(null, "warn", null, "not checked", {
          reason: "no running container on the backend network to probe from",
        });
      const url = `http://${replica.name}:${service.port}${service.healthPath}`;
      const outcome = await ctx.inContainer.get(host.id, { url, timeoutMs: ctx.timeoutMs });
      const from = `${host.service} → ${replica.name}:${service.port}`;
      if (!outcome.ok)
        return result(outcome, "fail", outcome.ms, "no answer", {
          reason: `${from}: ${outcome.error.message}${replica.health === "unhealthy" ? ` (${containerClause(replica)})` : ""}`,
          hint: `see \`stack logs ${service.name}\``,
        });
      const answered = `${service.healthPath} ${httpStatusText(outcome.status)}`;
      if (outcome.status >= 200 && outcome.status < 300)
        return result(outcome, "ok", outcome.ms, `${answered} in ${ms(outcome.ms)}`);
      const said = bodyMessage(outcome.body);
      return result(outcome, "fail", outcome.ms, answered, {
        reason: `${from}${service.healthPath} answered ${httpStatusText(outcome.status)}${said ? `: ${said}` : ""}`,
        hint: `the app reports itself unhealthy: see \`stack logs ${service.name}\``,
      });
    }),
  );
}

/** One public request on the published port; a unique query argument defeats response caches. */
export function chainProbe(
  t: HealthTargets,
  chain: ChainRoute,
  timeoutMs: number,
  requestId?: string,
): Promise<HttpOutcome> {
  const token = requestId ?? randomUUID();
  const headers: Record<string, string> = { ...chain.headers, "cache-control": "no-cache" };
  if (requestId) headers["x-request-id"] = requestId;
  return httpProbe({
    url: `${t.publicBase}${chain.path}?gs_probe=${encodeURIComponent(token)}`,
    headers,
    servername: t.domain,
    timeoutMs,
  });
}

/** Did the gateway produce this response (its latency/request-id headers), or Caddy alone? */
export function answeredByGateway(headers: Record<string, string>): boolean {
  return (
    "x-kong-proxy-latency" in headers ||
    "x-kong-upstream-latency" in headers ||
    "x-kong-response-latency" in headers ||
    "x-kong-request-id" in headers ||
    /kong|gatestack/i.test(headers.via ?? "") ||
    /kong|gatestack/i.test(headers.server ?? "")
  );
}

function chainCheck(
  ctx: ProbeContext,
  service: ServiceTarget,
  chain: ChainRoute,
  outcome: HttpOutcome,
  direct: DirectResult[],
): CheckResult {
  const name = `${service.name} through the chain`;
  const via = `GET ${chain.path}${chain.credential ? ` with ${chain.credential}` : ""}`;
  if (outcome.ok && outcome.status >= 200 && outcome.status < 300)
    return check(
      "services",
      name,
      "ok",
      outcome.ms,
      `${via}: ${httpStatusText(outcome.status)} in ${ms(outcome.ms)}`,
    );
  const explanation = explainChainFailure(ctx, service, outcome, direct);
  const detail = outcome.ok ? `${via}: ${httpStatusText(outcome.status)}` : `${via}: no answer`;
  return check("services", name, "fail", outcome.ms, detail, explanation);
}

/** Plain-words reason + hint for a failed public request, correlated with the other probes and container facts. */
export function explainChainFailure(
  ctx: Pick<ProbeContext, "facts">,
  service: ServiceTarget,
  outcome: HttpOutcome,
  direct: DirectResult[],
): { reason: string; hint: string } {
  const appOk = direct.some((d) => d.check.status === "ok");
  const appFailures = direct.filter((d) => d.check.status === "fail");
  const gateways = replicasOf(ctx.facts, "gateway");
  const gatewayUp = gateways.some((g) => g.running);
  const caddy = replicasOf(ctx.facts, "caddy")[0];
  const appFault = (): string => {
    if (direct.length === 0) return `no ${service.name} container exists`;
    const first = appFailures[0];
    if (!first) return "the app does not answer";
    if (!first.replica.running) return containerClause(first.replica);
    if (first.outcome && !first.outcome.ok) return first.outcome.error.message;
    return first.check.reason ?? first.check.detail;
  };
  const appHint = (): string => {
    const stopped = appFailures.find((d) => !d.replica.running);
    return stopped ? restartHint(stopped.replica) : `see \`stack logs ${service.name}\``;
  };
  const routing = appOk ? `routing fault: ${service.name} answers directly but not through the chain — ` : "";

  if (!outcome.ok) {
    if (caddy && !caddy.running)
      return {
        reason: `client → caddy: ${outcome.error.message} (${containerClause(caddy)})`,
        hint: "start it with `stack up`; see why it stopped with `stack logs caddy`",
      };
    if (!gatewayUp)
      return {
        reason: `caddy → gateway: ${outcome.error.message}; no gateway replica is running (${gateways.map(containerClause).join("; ") || "no container"})`,
        hint: "start the gateway with `stack up`; see why it stopped with `stack logs gateway`",
      };
    if (!appOk && appFailures.length > 0)
      return {
        reason: `gateway → ${service.name}: ${appFault()}`,
        hint: appHint(),
      };
    return {
      reason: `${routing}${outcome.error.message}`,
      hint: "see the edge and gateway layers, and `stack logs caddy gateway`",
    };
  }

  const status = outcome.status;
  const message = bodyMessage(outcome.body);
  const byGateway = answeredByGateway(outcome.headers);
  const said = `${httpStatusText(status)}${message ? ` "${message}"` : ""}`;
  if (!byGateway && status >= 500) {
    return {
      reason: `caddy → gateway: Caddy answered ${httpStatusText(status)}${gatewayUp ? "" : `; no gateway replica is running (${gateways.map(containerClause).join("; ") || "no container"})`}`,
      hint: gatewayUp
        ? "Caddy cannot reach the gateway replicas: see the edge upstream check and `stack logs caddy`"
        : "start the gateway with `stack up`; see why it stopped with `stack logs gateway`",
    };
  }
  if (byGateway && status >= 502 && status <= 504) {
    if (appFailures.length > 0 && !appOk)
      return {
        reason: `gateway → ${service.name}: ${appFault()} (gateway answered ${said})`,
        hint: appHint(),
      };
    return {
      reason: `${routing}gateway answered ${said}`,
      hint: `the gateway cannot use the app's targets: see the gateway upstream check for ${service.upstream}`,
    };
  }
  if (byGateway && status === 404)
    return {
      reason: `${routing}gateway answered ${said}`,
      hint: "the gateway serves another configuration than stack.yaml describes: see the gateway config check; `stack render` then `stack up`",
    };
  if (byGateway && (status === 401 || status === 403))
    return {
      reason: `${routing}gateway refused the probe's credential: ${said}`,
      hint: "the consumer credential in .env differs from the one the gateway loaded: `stack up` recreates the gateway",
    };
  if (byGateway && status === 429)
    return {
      reason: `${routing}gateway rate-limited the probe: ${said}`,
      hint: "the route's rate-limiting plugin is exhausted for the probe's consumer; wait or raise the limit",
    };
  if (appOk)
    return {
      reason: `${routing}${byGateway ? "gateway" : "caddy"} answered ${said}`,
      hint: "see the gateway layer and `stack logs gateway`",
    };
  return {
    reason: `${appFailures.length > 0 ? "app fault: " : ""}${service.name} answered ${said} through the chain${appFailures.length > 0 ? " and fails directly too" : ""}`,
    hint: `see \`stack logs ${service.name}\``,
  };
}

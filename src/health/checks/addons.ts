import { containerClause, restartHint } from "../facts.js";
import type { InContainerOutcome } from "../probe/in-container.js";
import type { CheckResult, CheckStatus } from "../report.js";
import type { AddonName, AddonTarget } from "../targets.js";
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
 * Addons layer (only the enabled ones): Prometheus ready + scrape targets up, Grafana
 * /api/health, Elasticsearch cluster colour, Kibana /api/status, Logstash's API on 9600,
 * Jenkins /login — each from inside the network (the tools are not published by default).
 */
export async function addonChecks(ctx: ProbeContext): Promise<LayerOutcome | null> {
  if (ctx.targets.addons.length === 0) return null;
  const checks = await Promise.all(ctx.targets.addons.map((a) => addonCheck(ctx, a)));
  return { layer: "addons", checks };
}

async function addonCheck(ctx: ProbeContext, addon: AddonTarget): Promise<CheckResult> {
  const name = addon.name;
  const containers = replicasOf(ctx.facts, addon.service);
  if (containers.length === 0)
    return check("addons", name, "warn", null, `not started (compose profile ${addon.profile})`, {
      reason: `${name} is enabled in stack.yaml but not running`,
      hint: `start it with \`stack up --profile ${addon.profile}\``,
    });
  const down = containers.find((c) => !c.running);
  if (down)
    return check("addons", name, "fail", null, "not running", {
      reason: containerClause(down),
      hint: restartHint(down),
    });
  const host =
    probeHostOn(ctx.facts, "edge", addon.service) ?? probeHostOn(ctx.facts, "backend", addon.service);
  if (!host)
    return check("addons", name, "warn", null, "not checked", {
      reason: "no running container on the stack networks to probe from",
    });
  const get = (url: string) => ctx.inContainer.get(host.id, { url, timeoutMs: ctx.timeoutMs });
  const [main, extra] = await Promise.all([get(addon.url), addon.detailUrl ? get(addon.detailUrl) : null]);
  if (!main.ok)
    return check("addons", name, "fail", main.ms, "no answer", {
      reason: `${host.service} → ${addon.url.replace(/^http:\/\//, "")}: ${main.error.message}`,
      hint: `see \`stack logs ${addon.service}\``,
    });
  const judged = JUDGES[addon.name](main, extra);
  return check("addons", name, judged.status, main.ms, `${judged.detail} in ${ms(main.ms)}`, {
    reason: judged.reason,
    hint: judged.hint ?? `see \`stack logs ${addon.service}\``,
  });
}

interface Judgement {
  status: CheckStatus;
  detail: string;
  reason?: string;
  hint?: string;
}

type Answer = Extract<InContainerOutcome, { ok: true }>;
type Judge = (main: Answer, extra: InContainerOutcome | null) => Judgement;

function json(body: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(body) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function statusOnly(what: string): Judge {
  return (main) =>
    main.status >= 200 && main.status < 300
      ? { status: "ok", detail: `${what} ${httpStatusText(main.status)}` }
      : {
          status: "fail",
          detail: `${what} ${httpStatusText(main.status)}`,
          reason: `${what} answered ${httpStatusText(main.status)}${bodyMessage(main.body) ? `: ${bodyMessage(main.body)}` : ""}`,
        };
}

const prometheus: Judge = (main, extra) => {
  if (main.status !== 200)
    return {
      status: "fail",
      detail: `/-/ready ${httpStatusText(main.status)}`,
      reason: `Prometheus is not ready (${httpStatusText(main.status)})`,
    };
  const data = extra?.ok ? json(extra.body)?.data : undefined;
  const active = (data as { activeTargets?: unknown } | undefined)?.activeTargets;
  if (!Array.isArray(active)) return { status: "ok", detail: "ready (targets not read)" };
  const targets = active as Array<{
    health?: unknown;
    scrapeUrl?: unknown;
    lastError?: unknown;
    labels?: { job?: unknown };
  }>;
  const down = targets.filter((t) => t.health !== "up");
  const detail = `ready, ${targets.length - down.length}/${targets.length} targets up`;
  if (down.length === 0) return { status: "ok", detail };
  const first = down[0]!;
  return {
    status: "warn",
    detail,
    reason: `${down.length} scrape target${down.length === 1 ? "" : "s"} down, e.g. ${String(first.scrapeUrl ?? first.labels?.job ?? "?")}${first.lastError ? `: ${String(first.lastError)}` : ""}`,
    hint: "open Prometheus → Status → Targets (/prometheus/targets) for every error",
  };
};

const grafana: Judge = (main) => {
  const db = json(main.body)?.database;
  if (main.status === 200 && (db === undefined || db === "ok"))
    return { status: "ok", detail: `/api/health ${httpStatusText(main.status)}, database ok` };
  return {
    status: "fail",
    detail: `/api/health ${httpStatusText(main.status)}`,
    reason: `Grafana reports ${db === undefined ? httpStatusText(main.status) : `database ${String(db)}`}`,
  };
};

const elasticsearch: Judge = (main) => {
  const colour = json(main.body)?.status;
  if (main.status !== 200 || typeof colour !== "string")
    return {
      status: "fail",
      detail: `_cluster/health ${httpStatusText(main.status)}`,
      reason: `Elasticsearch answered ${httpStatusText(main.status)}${bodyMessage(main.body) ? `: ${bodyMessage(main.body)}` : ""}`,
    };
  if (colour === "green") return { status: "ok", detail: "cluster green" };
  if (colour === "yellow")
    return {
      status: "warn",
      detail: "cluster yellow",
      reason: "some replica shards are unassigned (normal for a single node with replicas configured)",
      hint: "set number_of_replicas to 0 on a single-node cluster",
    };
  return {
    status: "fail",
    detail: `cluster ${colour}`,
    reason: "primary shards are unassigned: some data is unavailable",
    hint: "`curl elasticsearch:9200/_cluster/allocation/explain` from the gateway container, and `stack logs elasticsearch`",
  };
};

const kibana: Judge = (main) => {
  const overall = (json(main.body)?.status as { overall?: { level?: unknown; state?: unknown } } | undefined)
    ?.overall;
  const level = String(overall?.level ?? overall?.state ?? "");
  if (main.status === 200 && (level === "available" || level === "green" || level === ""))
    return { status: "ok", detail: `/api/status ${level || httpStatusText(main.status)}` };
  if (main.status === 200 && (level === "degraded" || level === "yellow"))
    return { status: "warn", detail: `/api/status ${level}`, reason: "Kibana reports degraded status" };
  return {
    status: "fail",
    detail: `/api/status ${level || httpStatusText(main.status)}`,
    reason: `Kibana is ${level || "not available"} (${httpStatusText(main.status)})`,
  };
};

const logstash: Judge = (main) => {
  const status = json(main.body)?.status;
  if (main.status === 200 && (status === undefined || status === "green"))
    return { status: "ok", detail: `API ${httpStatusText(main.status)}${status ? ", green" : ""}` };
  if (main.status === 200 && status === "yellow")
    return {
      status: "warn",
      detail: "API yellow",
      reason: "Logstash reports yellow (a pipeline is slow or blocked)",
    };
  return {
    status: "fail",
    detail: `API ${httpStatusText(main.status)}${typeof status === "string" ? `, ${status}` : ""}`,
    reason: `Logstash API answered ${httpStatusText(main.status)}`,
  };
};

const JUDGES: Record<AddonName, Judge> = {
  prometheus,
  grafana,
  elasticsearch,
  kibana,
  logstash,
  jenkins: statusOnly("/login"),
};

/**
 * The gateway layer of a stack in database mode (gateway.database: postgres), where a replica's
 * configuration_hash is the stored state's, not gateway.yaml's: each replica must serve the same
 * state as the first (a write reaches every replica within a second), and the database must hold
 * what gateway.yaml says — the plan `stack gateway sync` would run, computed read-only through the
 * Admin API inside a gateway container: nothing to create, update or delete for the entities
 * tagged gatestack-managed, and no conflict with what was made through the Admin API.
 */
import { errorMessage } from "../../errors.js";
import { loadPluginRegistry } from "../../gateway/plugins/registry.js";
import { AdminClient, type AdminTransport } from "../../gateway-client/admin-client.js";
import { desiredState } from "../../gateway-client/desired.js";
import { readLiveState } from "../../gateway-client/live-state.js";
import { planSync } from "../../gateway-client/plan.js";
import { DEFAULT_SELECT_TAG } from "../../gateway-client/sync.js";
import { GATEWAY_CONFIG_FILE } from "../../render/gateway.js";
import { type ContainerFacts, replicaLabel } from "../facts.js";
import type { InContainerOutcome } from "../probe/in-container.js";
import type { CheckResult } from "../report.js";
import { check, type ProbeContext } from "./context.js";

const SYNC_HINT = "run `stack up` (it syncs config/gateway/gateway.yaml into the database)";

/** A replica's configuration_hash against the first running replica's. */
export function replicaStateCheck(
  replica: ContainerFacts,
  status: InContainerOutcome,
  first: { replica: ContainerFacts; hash: string | null } | undefined,
): CheckResult {
  const name = `${replicaLabel(replica)} config`;
  const hash = hashOf(status);
  if (!status.ok || hash === null)
    return check("gateway", name, "warn", status.ms, "no configuration_hash in /status", {
      reason: status.ok ? "GET /status gave no configuration_hash" : status.error.message,
      hint: "see `stack logs gateway`",
    });
  if (!first || first.replica.id === replica.id || first.hash === hash)
    return check("gateway", name, "ok", status.ms, `serves the database's state (${hash.slice(0, 12)})`);
  return check(
    "gateway",
    name,
    "warn",
    status.ms,
    `serves ${hash.slice(0, 12)}, ${replicaLabel(first.replica)} ${first.hash?.slice(0, 12)}`,
    {
      reason: "this replica has not loaded the database's latest state yet (or cannot reach the database)",
      hint: "see `stack logs gateway`; a write reaches every replica within a second",
    },
  );
}

export function hashOf(status: InContainerOutcome): string | null {
  if (!status.ok || status.status !== 200) return null;
  try {
    const hash = (JSON.parse(status.body) as { configuration_hash?: unknown }).configuration_hash;
    return typeof hash === "string" && hash !== "" ? hash : null;
  } catch {
    return null;
  }
}

/** Whether the database holds gateway.yaml: the sync plan, read through `replica`'s Admin API. */
export async function databaseSyncCheck(ctx: ProbeContext, replica: ContainerFacts): Promise<CheckResult> {
  const name = "gateway database";
  const started = Date.now();
  const text = ctx.targets.gateway.database?.text ?? null;
  if (text === null)
    return check("gateway", name, "warn", null, "config/gateway/gateway.yaml is missing", {
      reason: "nothing to compare the database with",
      hint: "run `stack render`",
    });
  const t = ctx.targets.gateway;
  const client = new AdminClient({
    url: t.adminUrl,
    token: t.adminToken,
    timeoutMs: ctx.timeoutMs,
    transport: inContainerTransport(ctx, replica),
  });
  let plan: ReturnType<typeof planSync>;
  let others = 0;
  try {
    const registry = await loadPluginRegistry();
    const desired = desiredState(text, {
      tag: DEFAULT_SELECT_TAG,
      plugins: registry.get,
      place: GATEWAY_CONFIG_FILE,
    });
    const live = await readLiveState(client);
    plan = planSync(desired, live, DEFAULT_SELECT_TAG);
    for (const list of live.values())
      for (const e of list) if (!(Array.isArray(e.tags) && e.tags.includes(DEFAULT_SELECT_TAG))) others++;
  } catch (e) {
    return check("gateway", name, "warn", Date.now() - started, "could not compare with gateway.yaml", {
      reason: errorMessage(e),
      hint: "see `stack logs gateway`",
    });
  }
  const ms = Date.now() - started;
  if (plan.conflicts.length > 0) {
    const c = plan.conflicts[0]!;
    return check("gateway", name, "fail", ms, `${plan.conflicts.length} conflict(s) with gateway.yaml`, {
      reason: `${c.label}: ${c.reason}`,
      hint: "rename the entity in stack.yaml or the one made through the Admin API, then `stack up`",
    });
  }
  if (plan.changes.length > 0) {
    const count = (a: string) => plan.changes.filter((c) => c.action === a).length;
    return check(
      "gateway",
      name,
      "fail",
      ms,
      `gateway.yaml is not what the database holds: ${count("create")} to create, ${count("update")} to update, ${count("delete")} to delete`,
      {
        reason: plan.changes
          .slice(0, 3)
          .map((c) => `${c.action} ${c.label}`)
          .join("; "),
        hint: SYNC_HINT,
      },
    );
  }
  const extra = others > 0 ? `; ${others} more made through the Admin API` : "";
  return check("gateway", name, "ok", ms, `holds gateway.yaml (${plan.unchanged} entities${extra})`);
}

/** GETs from inside the gateway container (its Admin API is not published). */
function inContainerTransport(ctx: ProbeContext, replica: ContainerFacts): AdminTransport {
  return async (req) => {
    if (req.method !== "GET") throw new Error(`${req.method} is not sent by stack health`);
    const r = await ctx.inContainer.get(replica.id, {
      url: req.url,
      headers: req.headers,
      timeoutMs: req.timeoutMs,
    });
    if (!r.ok) throw new Error(r.error.message);
    return { status: r.status, text: r.body };
  };
}

/**
 * Database mode: can the gateway replicas reach the stack's PostgreSQL? Each replica says so in
 * `GET /status` (`database.reachable`, Kong's field). An unreachable database does not stop the
 * proxy — the replicas keep serving the configuration they last loaded, and /status/ready stays
 * 200 — but Admin API writes answer 503 and no change reaches the replicas: a failure, named.
 */
import { POSTGRES_PORT, POSTGRES_SERVICE } from "../../stack/database.js";
import { type ContainerFacts, replicaLabel } from "../facts.js";
import type { InContainerOutcome } from "../probe/in-container.js";
import type { CheckResult } from "../report.js";
import { check } from "./context.js";

export const DATABASE_REACHABLE_CHECK = "database reachable";

/** What one replica's /status answered about its database: true, false, or null (it did not say). */
export function databaseReachableOf(status: InContainerOutcome): boolean | null {
  if (!status.ok || status.status !== 200) return null;
  try {
    const reachable = (JSON.parse(status.body) as { database?: { reachable?: unknown } }).database?.reachable;
    return typeof reachable === "boolean" ? reachable : null;
  } catch {
    return null;
  }
}

/** One check over every running replica's /status. */
export function databaseReachableCheck(
  views: ReadonlyArray<{ replica: ContainerFacts; status: InContainerOutcome }>,
): CheckResult {
  const name = DATABASE_REACHABLE_CHECK;
  const where = `${POSTGRES_SERVICE}:${POSTGRES_PORT}`;
  if (views.length === 0)
    return check("gateway", name, "warn", null, "not checked", {
      reason: "no gateway replica is running to ask",
      hint: "start the gateway with `stack up`",
    });
  const latency = Math.max(...views.map((v) => v.status.ms));
  const said = views.map((v) => ({
    label: replicaLabel(v.replica),
    reachable: databaseReachableOf(v.status),
  }));
  const list = (value: boolean | null) =>
    said
      .filter((s) => s.reachable === value)
      .map((s) => s.label)
      .join(", ");
  const unreachable = list(false);
  if (unreachable !== "")
    return check("gateway", name, "fail", latency, `${POSTGRES_SERVICE} unreachable from ${unreachable}`, {
      reason: `${unreachable} cannot reach the database (${where}): the proxy keeps serving the configuration last loaded, Admin API writes answer 503 and no change reaches the replicas`,
      hint: `see \`stack ps\` and \`stack logs ${POSTGRES_SERVICE}\`; \`stack up\` starts it again`,
    });
  const silent = list(null);
  const reachable = list(true);
  if (silent !== "")
    return check(
      "gateway",
      name,
      "warn",
      latency,
      reachable === "" ? "not known" : `${POSTGRES_SERVICE} reachable from ${reachable}`,
      {
        reason: `${silent} did not say whether it reaches the database (GET /status gave no database.reachable)`,
        hint: "see `stack logs gateway`",
      },
    );
  return check("gateway", name, "ok", latency, `${POSTGRES_SERVICE} reachable from ${reachable}`);
}

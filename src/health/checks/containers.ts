import { isCompletedOneShot } from "../../runtime/dependencies.js";
import { POSTGRES_SERVICE } from "../../stack/database.js";
import {
  type ContainerFacts,
  describeCompleted,
  describeState,
  replicaLabel,
  restartHint,
} from "../facts.js";
import type { CheckResult } from "../report.js";
import type { HealthTargets } from "../targets.js";
import { check, type LayerOutcome, replicasOf } from "./context.js";

/**
 * Containers layer: one check per container of the project (found by Compose labels, so
 * compose.override.yaml services are included), plus a check per expected service whose
 * replicas are missing (in database mode the stack's PostgreSQL is expected too). A one-shot job
 * the stack runs besides its long-running services (database migrations) is ok once it exited 0:
 * it is not expected to keep running. Pure: works on the facts already inspected.
 */
export function containerChecks(
  targets: HealthTargets,
  facts: ContainerFacts[],
  inspectMs: number,
  now: Date,
): LayerOutcome {
  const checks: CheckResult[] = [];
  const expected = expectedServices(targets);
  const seen = new Set<string>();
  const order = [...expected.map((e) => e.service), ...facts.map((f) => f.service)];
  for (const service of order) {
    if (seen.has(service)) continue;
    seen.add(service);
    const replicas = replicasOf(facts, service);
    const want = expected.find((e) => e.service === service);
    if (replicas.length === 0 && want?.profile) {
      checks.push(
        check("containers", service, "warn", null, `not started (compose profile ${want.profile})`, {
          reason: `${service} is enabled in stack.yaml but its containers are not created`,
          hint: `start it with \`stack up --profile ${want.profile}\``,
        }),
      );
      continue;
    }
    for (const f of replicas) checks.push(containerCheck(f, inspectMs, now, { job: !want }));
    if (want && replicas.length < want.replicas) {
      const missing = want.replicas - replicas.length;
      checks.push(
        check(
          "containers",
          service,
          "fail",
          null,
          `${replicas.length} of ${want.replicas} replica${want.replicas === 1 ? "" : "s"} exist`,
          {
            reason: `${missing} replica${missing === 1 ? " is" : "s are"} missing (no container)`,
            hint: "run `stack up` to create the missing containers",
          },
        ),
      );
    }
  }
  return { layer: "containers", checks };
}

interface ExpectedService {
  service: string;
  replicas: number;
  /** Set for addon services (started only with their compose profile). */
  profile?: string;
}

function expectedServices(t: HealthTargets): ExpectedService[] {
  return [
    { service: "caddy", replicas: 1 },
    { service: "gateway", replicas: t.gateway.replicas },
    ...(t.redis ? [{ service: "redis", replicas: 1 }] : []),
    ...(t.gateway.database ? [{ service: POSTGRES_SERVICE, replicas: 1 }] : []),
    ...t.services.map((s) => ({ service: s.name, replicas: s.replicas })),
    ...t.addons.map((a) => ({ service: a.service, replicas: 1, profile: a.profile })),
  ];
}

export function containerCheck(
  f: ContainerFacts,
  latencyMs: number,
  now: Date,
  opts: { job?: boolean } = {},
): CheckResult {
  const name = replicaLabel(f);
  const completed = opts.job === true && f.restartPolicy !== undefined && isCompletedOneShot(f);
  if (completed) return check("containers", name, "ok", latencyMs, describeCompleted(f, now));
  const state = describeState(f, now);
  if (!f.running) {
    const reason = f.state === "restarting" ? `restarting in a loop (restarted ${f.restartCount}×)` : state;
    return check("containers", name, "fail", latencyMs, state, { reason, hint: restartHint(f) });
  }
  const parts = [state];
  if (f.health) parts.push(f.health);
  if (f.restartCount > 0) parts.push(`restarted ${f.restartCount}×`);
  const detail = parts.join(", ");
  if (f.health === "unhealthy") {
    return check("containers", name, "fail", latencyMs, detail, {
      reason: `healthcheck failing${f.healthLog ? `: ${f.healthLog}` : ""}`,
      hint: `see \`docker inspect --format '{{json .State.Health}}' ${f.name}\` and \`stack logs ${f.service}\``,
    });
  }
  if (f.health === "starting") {
    return check("containers", name, "warn", latencyMs, detail, {
      reason: "healthcheck has not passed yet (still starting)",
      hint: "wait a few seconds and run `stack health` again",
    });
  }
  if (f.restartCount > 0) {
    return check("containers", name, "warn", latencyMs, detail, {
      reason: `restarted ${f.restartCount}× since it was created: it crashed or was killed`,
      hint: `see why with \`stack logs ${f.service}\``,
    });
  }
  return check("containers", name, "ok", latencyMs, detail);
}

/**
 * The Docker engine: does it answer, which version, and what its Engine API version leaves out of
 * what `stack up` would ask for (src/runtime/container-spec.ts sends those fields only from the API
 * version that knows them).
 */
import { performance } from "node:perf_hooks";
import type Dockerode from "dockerode";
import { isGatestackError } from "../../../errors.js";
import { apiAtLeast } from "../../../runtime/container-spec.js";
import { ensureEngine } from "../../../runtime/engine.js";
import { round } from "../../probe/http.js";
import type { DoctorCheck, DoctorReport } from "../report.js";
import { doctorCheck } from "./check.js";

/** Engine API features `stack up` uses when the engine has them, and what is lost without. */
export const ENGINE_API_FEATURES: ReadonlyArray<{ api: string; feature: string; without: string }> = [
  {
    api: "1.44",
    feature: "healthcheck start_interval",
    without:
      "healthchecks run at their full interval from the start, so services report healthy (and `stack up` finishes) later",
  },
  {
    api: "1.44",
    feature: "several networks at container create",
    without: "a container's other networks are connected after create, before start",
  },
];

export interface EngineOutcome {
  checks: DoctorCheck[];
  engine: DoctorReport["engine"];
}

export function engineHost(): string {
  return process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
}

export async function engineChecks(docker: Dockerode, timeoutMs: number): Promise<EngineOutcome> {
  const started = performance.now();
  const host = engineHost();
  let version: Dockerode.DockerVersion;
  try {
    await ensureEngine(docker, timeoutMs);
    version = await docker.version();
  } catch (err) {
    const e = isGatestackError(err) ? err : undefined;
    return {
      engine: null,
      checks: [
        doctorCheck("engine", "Docker engine", "fail", `no engine answers at ${host}`, {
          reason: e?.message ?? (err instanceof Error ? err.message : String(err)),
          hint: e?.hint ?? "start the Docker engine, or point DOCKER_HOST at one",
          latencyMs: round(performance.now() - started),
        }),
      ],
    };
  }
  const latencyMs = round(performance.now() - started);
  const api = version.ApiVersion;
  const engine = { host, version: version.Version, apiVersion: api, os: version.Os, arch: version.Arch };
  const checks = [
    doctorCheck(
      "engine",
      "Docker engine",
      "ok",
      `Docker ${version.Version} (API ${api}) on ${version.Os}/${version.Arch} at ${host}`,
      {
        latencyMs,
      },
    ),
  ];
  const missing = ENGINE_API_FEATURES.filter((f) => !apiAtLeast(api, f.api));
  if (missing.length === 0) {
    checks.push(
      doctorCheck(
        "engine",
        "Engine API features",
        "ok",
        `API ${api}: ${ENGINE_API_FEATURES.map((f) => f.feature).join(", ")}`,
      ),
    );
  } else {
    const needed = missing
      .map((f) => f.api)
      .sort()
      .at(-1) as string;
    checks.push(
      doctorCheck(
        "engine",
        "Engine API features",
        "warn",
        `API ${api} lacks ${missing.map((f) => `${f.feature} (API ${f.api})`).join(", ")}`,
        {
          reason: missing.map((f) => `without ${f.feature}, ${f.without}`).join("; "),
          hint: `an engine with API ${needed} or later (Docker 25+) has them; the stack runs without`,
        },
      ),
    );
  }
  return { checks, engine };
}

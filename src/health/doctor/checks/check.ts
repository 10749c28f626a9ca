import type { CheckStatus } from "../../report.js";
import type { DoctorCheck, DoctorSection } from "../report.js";

/** One doctor check; `reason` and `hint` only where something is not ok. */
export function doctorCheck(
  section: DoctorSection,
  name: string,
  status: CheckStatus,
  detail: string,
  more: { reason?: string; hint?: string; latencyMs?: number | null } = {},
): DoctorCheck {
  return {
    name,
    section,
    status,
    latencyMs: more.latencyMs ?? null,
    detail,
    ...(status !== "ok" && more.reason ? { reason: more.reason } : {}),
    ...(status !== "ok" && more.hint ? { hint: more.hint } : {}),
  };
}

/** The host ports the stack publishes, free or held by this stack — what `stack up`'s preflight refuses on. */
import type Dockerode from "dockerode";
import type { ComposeProject } from "../../../runtime/compose/project.js";
import { findPortConflicts, publishedPorts } from "../../../runtime/preflight.js";
import type { DoctorCheck } from "../report.js";
import { doctorCheck } from "./check.js";

export async function portChecks(
  docker: Dockerode | undefined,
  project: ComposeProject,
): Promise<DoctorCheck[]> {
  const needs = publishedPorts(project);
  if (needs.length === 0)
    return [doctorCheck("ports", "published ports", "ok", "the stack publishes no fixed host port")];
  const conflicts = await findPortConflicts(docker, project);
  return needs.map((need) => {
    const name = `${need.hostIp}:${need.port} (${need.service})`;
    const c = conflicts.find(
      (x) => x.port === need.port && x.hostIp === need.hostIp && x.service === need.service,
    );
    if (!c) {
      return doctorCheck(
        "ports",
        name,
        "ok",
        docker ? "free (or this stack's own)" : "no process listens here (containers not checked: no engine)",
      );
    }
    return doctorCheck("ports", name, "fail", `held by ${c.holder}`, {
      reason: `\`stack up\` publishes ${need.service} on port ${need.port} and stops before it starts anything`,
      hint: c.container
        ? `stop it (docker stop ${c.container}, or \`stack down\` in that stack), or choose another port in stack.yaml (ports.*)`
        : c.pid
          ? `stop it (kill ${c.pid}, or stop its service), or choose another port in stack.yaml (ports.*)`
          : "stop whatever listens there, or choose another port in stack.yaml (ports.*)",
    });
  });
}

/** Memory the enabled parts of the stack need (the same estimate `stack up`'s preflight makes) against what the machine has. */
import type Dockerode from "dockerode";
import type { ComposeProject } from "../../../runtime/compose/project.js";
import { availableMemoryMb, memoryNeeds, PROFILE_LABEL } from "../../../runtime/preflight.js";
import type { DoctorCheck } from "../report.js";
import { doctorCheck } from "./check.js";

const gb = (mb: number) => `${(mb / 1024).toFixed(1)} GB`;

/** Past this share of what is available the stack runs, but tightly. */
const TIGHT = 0.8;

export async function memoryCheck(
  docker: Dockerode | undefined,
  project: ComposeProject,
  running: Set<string>,
): Promise<DoctorCheck> {
  const name = "memory for the enabled parts";
  const parts = memoryNeeds(project, running);
  const requiredMb = parts.reduce((s, p) => s + p.mb, 0);
  const list = parts
    .map((p) => `${p.part === "base" ? "the stack" : (PROFILE_LABEL[p.part] ?? p.part)} ~${gb(p.mb)}`)
    .join(", ");
  if (requiredMb === 0) return doctorCheck("memory", name, "ok", "every service already runs");
  let availableMb = 0;
  try {
    availableMb = await availableMemoryMb(docker);
  } catch {
    availableMb = 0;
  }
  if (availableMb <= 0) {
    return doctorCheck(
      "memory",
      name,
      "warn",
      `needs ~${gb(requiredMb)} (${list}); available memory unknown`,
      {
        reason: "neither /proc/meminfo nor the engine said how much memory there is",
        hint: "start the engine and run `stack doctor` again",
      },
    );
  }
  const detail = `needs ~${gb(requiredMb)} (${list}), ${gb(availableMb)} available`;
  if (requiredMb > availableMb) {
    return doctorCheck("memory", name, "fail", detail, {
      reason: "`stack up` refuses to start what does not fit",
      hint: "free memory, give the Docker engine more, or turn off an addon in stack.yaml",
    });
  }
  if (requiredMb > availableMb * TIGHT) {
    return doctorCheck("memory", name, "warn", detail, {
      reason: `more than ${Math.round(TIGHT * 100)}% of the available memory`,
      hint: "free memory or give the Docker engine more before adding load",
    });
  }
  return doctorCheck("memory", name, "ok", detail);
}

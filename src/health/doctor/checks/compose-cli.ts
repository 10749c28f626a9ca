/**
 * A Compose CLI on the PATH: `stack up` does not need one (it reads the Compose files itself), but
 * the rendered folder is meant to run with `docker compose` as well, which takes Compose v2.
 */
import { execa } from "execa";
import type { DoctorCheck } from "../report.js";
import { doctorCheck } from "./check.js";

export interface ComposeCli {
  command: string;
  version: string;
}

/** `docker compose version`, else `docker-compose version`: the first that answers. */
export async function findComposeCli(timeoutMs: number, env = process.env): Promise<ComposeCli | undefined> {
  const candidates: Array<[string, string[]]> = [
    ["docker", ["compose", "version", "--short"]],
    ["docker-compose", ["version", "--short"]],
  ];
  for (const [file, args] of candidates) {
    const r = await execa(file, args, { reject: false, timeout: timeoutMs, env, stdin: "ignore" });
    const version = /v?(\d+\.\d+\.\d+\S*)/.exec(String(r.stdout ?? ""))?.[1];
    if (r.exitCode === 0 && version) return { command: [file, ...args.slice(0, -2)].join(" "), version };
  }
  return undefined;
}

export function composeCliCheck(cli: ComposeCli | undefined): DoctorCheck {
  const name = "Compose CLI";
  if (!cli) {
    return doctorCheck("compose", name, "ok", "none installed: `stack up` does not need one", {});
  }
  const major = Number(cli.version.split(".")[0]);
  if (major >= 2) return doctorCheck("compose", name, "ok", `${cli.command} ${cli.version} (Compose v2)`);
  return doctorCheck("compose", name, "warn", `${cli.command} ${cli.version} (Compose v1)`, {
    reason:
      "Compose v1 is end-of-life and reads the rendered compose.yaml (the Compose Specification) only in part; `stack up` does not use it",
    hint: "install the Compose v2 plugin (`docker compose`, package docker-compose-plugin) to run the rendered folder by hand",
  });
}

/**
 * vm.max_map_count for Elasticsearch (the ELK addon): Elasticsearch maps its index files and wants
 * at least 262144 memory map areas. The rendered node runs with discovery.type single-node, which
 * skips Elasticsearch's bootstrap checks, so a lower value starts — and fails later, under load.
 */
import { readFile } from "node:fs/promises";
import { engineIsLocal } from "../../../runtime/preflight.js";
import type { DoctorCheck } from "../report.js";
import { doctorCheck } from "./check.js";

export const ES_MAX_MAP_COUNT = 262_144;
const PROC_FILE = "/proc/sys/vm/max_map_count";
const FIX = `sudo sysctl -w vm.max_map_count=${ES_MAX_MAP_COUNT} (and a line vm.max_map_count=${ES_MAX_MAP_COUNT} in /etc/sysctl.d/99-elasticsearch.conf to keep it)`;

export async function maxMapCountCheck(file = PROC_FILE): Promise<DoctorCheck> {
  const name = "vm.max_map_count (Elasticsearch)";
  if (!engineIsLocal()) {
    return doctorCheck("kernel", name, "warn", "not read: the engine runs on another machine", {
      reason: "the setting that counts is the engine host's",
      hint: `on the engine's host: sysctl vm.max_map_count (at least ${ES_MAX_MAP_COUNT}); ${FIX}`,
    });
  }
  let value: number;
  try {
    value = Number((await readFile(file, "utf8")).trim());
  } catch {
    return doctorCheck("kernel", name, "warn", `${file} not readable`, {
      reason: "not a Linux host (Docker Desktop keeps the setting in its VM)",
      hint: `make sure the engine's VM has vm.max_map_count >= ${ES_MAX_MAP_COUNT}`,
    });
  }
  if (value >= ES_MAX_MAP_COUNT)
    return doctorCheck("kernel", name, "ok", `${value} (at least ${ES_MAX_MAP_COUNT})`);
  return doctorCheck("kernel", name, "warn", `${value}, below ${ES_MAX_MAP_COUNT}`, {
    reason:
      "Elasticsearch starts (single-node skips its bootstrap checks) but can fail to map its index files as they grow",
    hint: FIX,
  });
}

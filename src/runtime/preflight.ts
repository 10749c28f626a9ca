/**
 * Checks before `stack up` changes anything, each failing with what to do: host ports free
 * (naming the process or container holding one), enough memory for the chosen profiles.
 * (The engine itself is checked by ensureEngine.)
 */
import { readFile } from "node:fs/promises";
import type Dockerode from "dockerode";
import { GatestackError } from "../errors.js";
import type { ComposeProject } from "./compose/project.js";
import { dockerError } from "./engine.js";
import { LABEL } from "./labels.js";
import { addressesOverlap, listListeners, socketOwner } from "./port-owner.js";

export interface PortNeed {
  service: string;
  hostIp: string;
  port: number;
}

/** Fixed host TCP ports the project publishes (random and range ports are left to the engine). */
export function publishedPorts(project: ComposeProject): PortNeed[] {
  const out: PortNeed[] = [];
  for (const svc of Object.values(project.services)) {
    for (const p of svc.ports) {
      if (p.protocol !== "tcp" || !p.published || !/^\d+$/.test(p.published)) continue;
      out.push({ service: svc.name, hostIp: p.host_ip ?? "0.0.0.0", port: Number(p.published) });
    }
  }
  return out;
}

export interface PortConflict extends PortNeed {
  holder: string;
  pid?: number;
  container?: string;
}

/** Whether the engine runs on this machine (so /proc tells who holds its host ports). */
export function engineIsLocal(): boolean {
  const host = process.env.DOCKER_HOST;
  return !host || host.startsWith("unix://");
}

/**
 * The published ports something holds: a container (not this project's: those are kept or recreated)
 * or, when the engine runs here, a process. Without an engine (`docker` undefined: `stack doctor`
 * before one runs) only the processes are asked.
 */
export async function findPortConflicts(
  docker: Dockerode | undefined,
  project: ComposeProject,
): Promise<PortConflict[]> {
  const needs = publishedPorts(project);
  if (needs.length === 0) return [];
  let running: Dockerode.ContainerInfo[] = [];
  try {
    if (docker) running = await docker.listContainers();
  } catch (err) {
    throw dockerError("listing containers", err);
  }
  const conflicts: PortConflict[] = [];
  const pending: PortNeed[] = [];
  for (const need of needs) {
    const holder = running.find((c) =>
      (c.Ports ?? []).some(
        (p) => p.PublicPort === need.port && p.Type === "tcp" && addressesOverlap(need.hostIp, p.IP ?? ""),
      ),
    );
    if (!holder) {
      pending.push(need);
      continue;
    }
    const owner = holder.Labels?.[LABEL.project];
    if (owner === project.name) continue; // ours: kept, or freed when recreated
    const name = (holder.Names?.[0] ?? holder.Id).replace(/^\//, "");
    conflicts.push({
      ...need,
      container: name,
      holder: `container ${name}${owner ? ` (stack ${owner})` : ""}`,
    });
  }
  if (pending.length === 0 || !engineIsLocal()) return conflicts;
  const listeners = await listListeners();
  for (const need of pending) {
    const l = listeners.find((x) => x.port === need.port && addressesOverlap(need.hostIp, x.address));
    if (!l) continue;
    const owner = await socketOwner(l.inode);
    const c: PortConflict = {
      ...need,
      holder: owner.pid ? `pid ${owner.pid} (${owner.command || "unknown command"})` : "another process",
    };
    if (owner.pid) c.pid = owner.pid;
    conflicts.push(c);
  }
  return conflicts;
}

export function portConflictError(conflicts: PortConflict[]): GatestackError {
  const first = conflicts[0] as PortConflict;
  const list = conflicts.map((c) => `${c.hostIp}:${c.port} (${c.service}) is held by ${c.holder}`).join("; ");
  const fix = first.container
    ? `stop it (docker stop ${first.container}, or \`stack down\` in that stack)`
    : first.pid
      ? `stop it (kill ${first.pid}, or stop its service)`
      : "stop whatever listens there";
  return new GatestackError(
    "E_PORT_BUSY",
    `host port${conflicts.length === 1 ? " is" : "s are"} in use: ${list}`,
    {
      hint: `${fix}, or choose other ports in stack.yaml (ports.http / ports.https) and run stack up again`,
      data: { conflicts },
    },
  );
}

/** Rough memory each part needs (MB): the base stack, then each profile. */
export const PROFILE_MEMORY_MB: Record<string, number> = {
  base: 512,
  monitoring: 512,
  logging: 1536,
  ci: 1024,
};
export const PROFILE_LABEL: Record<string, string> = {
  monitoring: "Prometheus + Grafana",
  logging: "ELK (Elasticsearch, Logstash, Kibana)",
  ci: "Jenkins",
};

export interface MemoryCheck {
  requiredMb: number;
  availableMb: number;
  parts: Array<{ part: string; mb: number }>;
}

/** Memory available to containers (MB): MemAvailable when the engine runs here, else the engine's total (0: unknown). */
export async function availableMemoryMb(docker: Dockerode | undefined): Promise<number> {
  if (engineIsLocal()) {
    try {
      const meminfo = await readFile("/proc/meminfo", "utf8");
      const kb = Number(/^MemAvailable:\s+(\d+)/m.exec(meminfo)?.[1]);
      if (kb > 0) return Math.floor(kb / 1024);
    } catch {
      // Not Linux: fall back to the engine's view.
    }
  }
  if (!docker) return 0;
  const info = (await docker.info()) as { MemTotal?: number };
  return Math.floor((info.MemTotal ?? 0) / 1024 / 1024);
}

/** Memory the not-yet-running parts of the project need vs what the machine has available. */
/** Memory (MB) the parts of the project that are not running yet need: the base stack and each profile. */
export function memoryNeeds(project: ComposeProject, runningServices: Set<string>): MemoryCheck["parts"] {
  const parts = new Map<string, number>();
  for (const svc of Object.values(project.services)) {
    if (runningServices.has(svc.name)) continue;
    const keys = svc.profiles.length ? svc.profiles : ["base"];
    for (const k of keys) parts.set(k, PROFILE_MEMORY_MB[k] ?? 256);
  }
  return [...parts].map(([part, mb]) => ({ part, mb }));
}

/** Memory the not-yet-running parts of the project need vs what the machine has available. */
export async function checkMemory(
  docker: Dockerode,
  project: ComposeProject,
  runningServices: Set<string>,
): Promise<MemoryCheck> {
  const parts = memoryNeeds(project, runningServices);
  const requiredMb = parts.reduce((s, p) => s + p.mb, 0);
  return { requiredMb, availableMb: requiredMb === 0 ? 0 : await availableMemoryMb(docker), parts };
}

export function memoryError(check: MemoryCheck): GatestackError {
  const heavy = check.parts.filter((p) => p.part !== "base").sort((a, b) => b.mb - a.mb);
  const detail = check.parts
    .map((p) => `${PROFILE_LABEL[p.part] ?? p.part} ~${(p.mb / 1024).toFixed(1)} GB`)
    .join(", ");
  return new GatestackError(
    "E_PREFLIGHT",
    `not enough memory: the stack needs ~${(check.requiredMb / 1024).toFixed(1)} GB (${detail}), ~${(check.availableMb / 1024).toFixed(1)} GB is available`,
    {
      hint: heavy.length
        ? `free memory, give the Docker engine more, or leave out --profile ${heavy[0]?.part}`
        : "free memory or give the Docker engine more",
      data: { ...check },
    },
  );
}

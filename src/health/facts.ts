/**
 * What Docker knows about each container of the project (one `inspect` per container), in
 * the shape the checks need: state, health, restarts, OOM, exit code, uptime, networks.
 * Pure helpers here turn those facts into plain words ("exited 137 (OOM-killed) 3 min ago").
 */

export interface ContainerFacts {
  id: string;
  /** Container name without the leading slash: `<project>-<service>-<n>`. */
  name: string;
  /** Compose service (com.docker.compose.service). */
  service: string;
  /** Replica number (com.docker.compose.container-number). */
  number: number;
  /** created, running, restarting, exited, paused, dead, removing. */
  state: string;
  running: boolean;
  /** Docker healthcheck status; undefined when the container has no healthcheck. */
  health?: "healthy" | "unhealthy" | "starting";
  /** Output of the last failing healthcheck run (trimmed), when unhealthy. */
  healthLog?: string;
  restartCount: number;
  oomKilled: boolean;
  exitCode: number;
  /** Engine restart policy (no, always, unless-stopped, on-failure); undefined when not read. */
  restartPolicy?: string;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Compose network names (without the project prefix) → the container's IP on it. */
  networks: Record<string, string>;
  image: string;
}

/** Short label for a replica: `orders-1`. */
export function replicaLabel(f: Pick<ContainerFacts, "service" | "number">): string {
  return `${f.service}-${f.number}`;
}

/** "running 3 h", "exited 137 (OOM-killed) 2 min ago", "restarting (exit 1)". */
export function describeState(f: ContainerFacts, now: Date = new Date()): string {
  if (f.running) {
    const up = f.startedAt ? ` ${formatDuration(now.getTime() - f.startedAt.getTime())}` : "";
    return `running${up}`;
  }
  if (f.state === "restarting") return `restarting (last exit ${exitDescription(f)})`;
  if (f.state === "created") return "created, never started";
  const ago =
    f.finishedAt && f.finishedAt.getTime() > 0
      ? ` ${formatDuration(now.getTime() - f.finishedAt.getTime())} ago`
      : "";
  return `${f.state} ${exitDescription(f)}${ago}`;
}

/** "completed (exit 0) 2 min ago": a one-shot job (migrations, setup) that ran to its end. */
export function describeCompleted(f: ContainerFacts, now: Date = new Date()): string {
  const ago = f.finishedAt ? ` ${formatDuration(now.getTime() - f.finishedAt.getTime())} ago` : "";
  return `completed (exit ${f.exitCode})${ago}`;
}

/** "137 (OOM-killed)", "137 (killed)", "143 (stopped)", "1". */
export function exitDescription(f: Pick<ContainerFacts, "exitCode" | "oomKilled">): string {
  if (f.oomKilled) return `${f.exitCode} (OOM-killed)`;
  if (f.exitCode === 137) return "137 (killed)";
  if (f.exitCode === 143 || f.exitCode === 0) return `${f.exitCode} (stopped)`;
  return String(f.exitCode);
}

/** "container exited 137: OOM" style clause used when correlating a probe failure. */
export function containerClause(f: ContainerFacts): string {
  if (f.running) {
    if (f.health === "unhealthy")
      return `container ${f.name} is unhealthy${f.healthLog ? `: ${f.healthLog}` : ""}`;
    if (f.restartCount > 0) return `container ${f.name} restarted ${f.restartCount}×`;
    return `container ${f.name} is running`;
  }
  if (f.oomKilled) return `container ${f.name} exited ${f.exitCode}: OOM`;
  return `container ${f.name} ${describeState(f)}`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} days`;
}

/** The hint for a container that is not running. */
export function restartHint(f: ContainerFacts): string {
  if (f.oomKilled)
    return `raise its memory limit or fix the leak; then \`stack up\`. Logs: \`stack logs ${f.service}\``;
  return `see why with \`stack logs ${f.service}\`, then \`stack up\` to start it again`;
}

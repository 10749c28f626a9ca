/** `stack ps`: one row per container of the project. */
import type Dockerode from "dockerode";
import { type ActualContainer, listProjectContainers } from "./actual.js";
import { exitCodeFromStatus, stateWithExitCode } from "./dependencies.js";

export interface PsRow {
  service: string;
  container: string;
  id: string;
  /** running, exited, restarting, created… */
  state: string;
  /** For an exited container: its exit code (0 for a one-shot job that completed). */
  exitCode?: number;
  /** healthy, unhealthy, starting, or "" without a healthcheck. */
  health: string;
  /** The engine's status text ("Up 2 minutes (healthy)"). */
  status: string;
  /** Published ports, e.g. 127.0.0.1:8080->80/tcp; container-only ports as 8000/tcp. */
  ports: string[];
}

export function formatPorts(ports: ActualContainer["ports"]): string[] {
  const out = new Set<string>();
  for (const p of [...ports].sort((a, b) => a.privatePort - b.privatePort)) {
    if (p.publicPort) {
      // Docker lists a published port once for IPv4 and once for IPv6; show the IPv4 one.
      if (
        p.ip?.includes(":") &&
        ports.some((q) => q.publicPort === p.publicPort && q.ip && !q.ip.includes(":"))
      )
        continue;
      out.add(`${p.ip ?? "0.0.0.0"}:${p.publicPort}->${p.privatePort}/${p.type}`);
    } else {
      out.add(`${p.privatePort}/${p.type}`);
    }
  }
  return [...out];
}

export async function ps(docker: Dockerode, project: string): Promise<PsRow[]> {
  const containers = await listProjectContainers(docker, project);
  return containers.map((c) => {
    const exitCode = c.state === "exited" ? exitCodeFromStatus(c.status) : undefined;
    return {
      service: c.service,
      container: c.name,
      id: c.id.slice(0, 12),
      state: c.state,
      ...(exitCode !== undefined ? { exitCode } : {}),
      health: c.health ?? "",
      status: c.status,
      ports: formatPorts(c.ports),
    };
  });
}

/** The states an engine reports for a container (`--status` choices, as `docker compose ps --status`). */
export const CONTAINER_STATES = [
  "paused",
  "restarting",
  "removing",
  "running",
  "dead",
  "created",
  "exited",
] as const;

export interface PsFilter {
  /** Stopped containers too (`-a`); by default only running ones, as Compose. */
  all?: boolean;
  /** Only these states; given, stopped ones show without `all`. */
  status?: string[];
  /** Only these services (none: all). */
  services?: string[];
}

/** The rows `docker compose ps [-a] [--status S] [SERVICE…]` would list. */
export function filterPsRows(rows: PsRow[], filter: PsFilter): PsRow[] {
  return rows.filter((r) => {
    if (filter.services?.length && !filter.services.includes(r.service)) return false;
    if (filter.status?.length) return filter.status.includes(r.state);
    return filter.all === true || r.state === "running";
  });
}

/** The STATE cell: "running", or "exited (0)" with the exit code, as `docker compose ps` shows it. */
export function psState(row: Pick<PsRow, "state" | "exitCode">): string {
  return stateWithExitCode(row.state, row.exitCode);
}

/** A plain text table with a header row, columns padded to their widest cell. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** The subset of the Compose file model gatestack generates, and its healthcheck presets. */

/**
 * A service healthcheck: only fields every engine since API 1.29 (Docker 17.05) takes. No
 * `start_interval`: it needs API 1.44 (Docker 25), and `docker compose` refuses a file that sets it on
 * older engines — Debian bookworm's docker.io 20.10 is API 1.41. (`stack up` probes a dependency
 * itself right after it starts, so nothing waits for the first scheduled check.)
 */
export interface Healthcheck {
  test: string[];
  interval: string;
  timeout: string;
  retries: number;
  start_period: string;
}

interface BindMount {
  type: "bind";
  source: string;
  target: string;
  read_only: boolean;
  bind: { create_host_path: boolean };
}

/** The subset of the Compose service model gatestack generates (key order = output order). */
export interface ComposeService {
  image: string;
  build?: { context: string; args?: Record<string, string> };
  profiles?: string[];
  /** "no": a one-shot job (database migrations) that others wait on with service_completed_successfully. */
  restart: "unless-stopped" | "no";
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: Array<string | BindMount>;
  networks: string[];
  depends_on?: Record<string, { condition: "service_healthy" | "service_completed_successfully" }>;
  /** `disable: true` switches off the image's own healthcheck (a one-shot job serves nothing). */
  healthcheck: Healthcheck | { disable: true };
  deploy?: { replicas: number };
}

export interface ComposeFile {
  name: string;
  services: Record<string, ComposeService>;
  networks: Record<string, { name?: string }>;
  volumes: Record<string, Record<string, never>>;
}

/** Quick probes for the request path (caddy, gateway, apps), so `stack up` turns healthy fast. */
export function fastCheck(test: string[]): Healthcheck {
  return { test, interval: "3s", timeout: "3s", retries: 10, start_period: "30s" };
}

/** Patient probes for JVM tools that take minutes to boot. */
export function slowCheck(test: string[]): Healthcheck {
  return { test, interval: "10s", timeout: "5s", retries: 12, start_period: "180s" };
}

export const wget = (url: string) => ["CMD", "wget", "-q", "-O", "/dev/null", url];
export const curl = (url: string) => ["CMD", "curl", "-fsS", "-o", "/dev/null", url];
export const healthy = { condition: "service_healthy" } as const;
export const completed = { condition: "service_completed_successfully" } as const;

import type { IncomingMessage, ServerResponse } from "node:http";
import type { MetricsExposition } from "./metrics.js";
import type { GatewayServerStats } from "./plugins/types.js";

/** Kong's configuration_hash before any configuration is loaded. */
export const EMPTY_CONFIG_HASH = "00000000000000000000000000000000";

export interface StatusSource {
  /** hash of the config served, or null before one is loaded */
  configHash(): string | null;
  /** false while shutting down (drain): load balancers stop sending new requests (default: true) */
  accepting?(): boolean;
  serverStats(): GatewayServerStats;
  metrics: MetricsExposition;
  /** database mode: can the database be reached (DB-less: always true, as Kong says) */
  databaseReachable?(): boolean;
}

/** Kong's `GET /status` body (Admin and Status listeners). */
export function statusBody(source: StatusSource): Record<string, unknown> {
  const s = source.serverStats();
  const mem = process.memoryUsage();
  return {
    database: { reachable: source.databaseReachable?.() ?? true },
    server: {
      connections_accepted: s.connectionsAccepted,
      connections_active: s.connectionsActive,
      connections_handled: s.connectionsHandled,
      connections_reading: s.connectionsReading,
      connections_writing: s.connectionsWriting,
      connections_waiting: s.connectionsWaiting,
      total_requests: s.totalRequests,
    },
    memory: {
      workers_lua_vms: [
        { pid: process.pid, http_allocated_gc: `${(mem.heapUsed / 1048576).toFixed(2)} MiB` },
      ],
      lua_shared_dicts: {},
    },
    configuration_hash: source.configHash() ?? EMPTY_CONFIG_HASH,
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The Status listener (Kong's status_listen): `/status`, `/status/ready` (503 until a
 * configuration is loaded, then 200 — the container HEALTHCHECK), `/metrics`.
 */
export function createStatusHandler(
  source: StatusSource,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 405, { message: "Method not allowed" });
      return;
    }
    switch (path) {
      case "/status":
        sendJson(res, 200, statusBody(source));
        return;
      case "/status/ready":
        if (source.configHash() === null) {
          sendJson(res, 503, { message: "no configuration available (empty configuration present)" });
        } else if (source.accepting?.() === false) sendJson(res, 503, { message: "shutting down" });
        else sendJson(res, 200, { message: "ready" });
        return;
      case "/metrics":
        source.metrics.render().then(
          ({ text, contentType }) => {
            res.writeHead(200, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
            res.end(text);
          },
          (err: unknown) => sendJson(res, 500, { message: (err as Error).message }),
        );
        return;
      default:
        sendJson(res, 404, { message: "Not found" });
    }
  };
}

/**
 * TEMPORARY SHIM (gateway-core): a minimal Admin API used until src/gateway/admin/
 * (createAdminHandler, area gateway-config) lands; then server.ts wires that and this file
 * is deleted. Serves GET /status, POST /config, GET /upstreams/{name}/health.
 */

import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { GatewayRuntime } from "./server.js";
import { ConfigInvalidError } from "./server.js";
import { statusBody } from "./status.js";

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function tokenOk(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const given = Buffer.from(req.headers.authorization ?? "");
  const want = Buffer.from(`Bearer ${token}`);
  return given.length === want.length && timingSafeEqual(given, want);
}

export function createAdminShim(
  runtime: GatewayRuntime,
  token: string | undefined,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (!tokenOk(req, token)) {
      send(res, 401, { message: "Unauthorized" });
      return;
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (req.method === "GET" && path === "/status") {
      send(
        res,
        200,
        statusBody({
          configHash: () => runtime.current?.config.hash ?? null,
          serverStats: () => runtime.serverStats(),
          metrics: runtime.metrics,
        }),
      );
      return;
    }
    const health = /^\/upstreams\/([^/]+)\/health\/?$/.exec(path);
    if (req.method === "GET" && health) {
      const data = runtime.current?.balancers.health(decodeURIComponent(health[1]!));
      if (data == null) send(res, 404, { message: "Not found" });
      else send(res, 200, { data, total: data.length, node_id: runtime.nodeId });
      return;
    }
    if (req.method === "POST" && path === "/config") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        runtime.applyConfig(Buffer.concat(chunks).toString("utf8")).then(
          () => send(res, 201, runtime.currentDoc ?? {}),
          (err: unknown) => {
            if (err instanceof ConfigInvalidError) send(res, 400, err.error);
            else send(res, 500, { message: "An unexpected error occurred" });
          },
        );
      });
      return;
    }
    send(res, 404, { message: "Not found" });
  };
}

/**
 * The manager's own read endpoints, `GET /gui-api/<name>`: overview, plugin-catalogue,
 * entity-schemas, plugins-applying, logs (Server-Sent Events). The session was checked before.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { pluginCatalogue } from "./catalogue.js";
import { entitySchemas } from "./entity-schemas.js";
import { type LogHub, parseLogFilter } from "./log-hub.js";
import { overview } from "./overview.js";
import { pluginsApplying } from "./plugins-applying.js";
import type { StatsWindow } from "./stats-window.js";
import type { GuiDeps } from "./types.js";

/** Answer `name`; false when it is not one of the endpoints. */
export type GuiApi = (
  name: string,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
) => boolean;

export function guiApiHandler(
  deps: GuiDeps,
  stats: StatsWindow,
  logs: LogHub,
  headers: Readonly<Record<string, string>>,
): GuiApi {
  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(text)),
    });
    res.end(text);
  };
  return (name, query, _req, res) => {
    switch (name) {
      case "overview":
        send(res, 200, overview(deps, stats));
        return true;
      case "plugin-catalogue":
        send(res, 200, pluginCatalogue(deps.plugins(), deps.current()));
        return true;
      case "entity-schemas":
        send(res, 200, entitySchemas());
        return true;
      case "plugins-applying": {
        const route = query.get("route");
        if (route === null || route === "") {
          send(res, 400, { message: "route: required (a route's id or name)" });
          return true;
        }
        const answer = pluginsApplying(
          deps.current(),
          route,
          (n) => deps.plugins().find((d) => d.name === n)?.priority,
        );
        if (answer === null) send(res, 404, { message: "Not found" });
        else send(res, 200, answer);
        return true;
      }
      case "logs": {
        const filter = parseLogFilter(query);
        if ("error" in filter) {
          send(res, 400, { message: filter.error });
          return true;
        }
        const { "cache-control": _ignored, ...rest } = headers;
        if (!logs.subscribe(res, filter, rest)) send(res, 503, { message: "too many log subscribers" });
        return true;
      }
      default:
        return false;
    }
  };
}

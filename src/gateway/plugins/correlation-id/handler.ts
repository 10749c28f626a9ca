/** correlation-id (Kong 3.x): keep the incoming id or generate one; optionally echo it. */
import { randomUUID } from "node:crypto";
import type { PluginEntry, PluginHandler, RequestContext } from "../types.js";
import type { CorrelationIdConfig } from "./schema.js";

/** One UUID per process and a request counter, Kong's `uuid#counter` (per worker). */
const processUuid = randomUUID();
let counter = 0;

const GENERATORS: Record<CorrelationIdConfig["generator"], (ctx: RequestContext) => string> = {
  uuid: () => randomUUID(),
  "uuid#counter": () => {
    counter += 1;
    return `${processUuid}#${counter}`;
  },
  tracker: (ctx) => {
    const c = ctx.connection;
    const msec = (Date.now() / 1000).toFixed(3);
    return [
      c?.localAddress ?? "0.0.0.0",
      c?.localPort ?? 0,
      process.pid,
      c?.id ?? 0,
      c?.requests ?? 1,
      msec,
    ].join("-");
  },
};

export function createCorrelationIdHandler(entry: PluginEntry<CorrelationIdConfig>): PluginHandler {
  const conf = entry.config;
  const headerKey = conf.header_name.toLowerCase();
  const generate = GENERATORS[conf.generator];
  return {
    access(ctx) {
      const incoming = ctx.request.headers[headerKey];
      let id = Array.isArray(incoming) ? incoming[0] : incoming;
      // Kong: a header present but empty (or only blanks, which the parser trims) is absent
      if (id === undefined || id === "") {
        id = generate(ctx);
        ctx.upstream.headers[headerKey] = id;
      }
      ctx.pluginState("correlation-id", () => ({ id: "" })).id = id;
    },
    responseHeaders(ctx, res) {
      if (!conf.echo_downstream) return;
      const id = ctx.pluginState("correlation-id", () => ({ id: "" })).id;
      if (id !== "") res.headers[headerKey] = id;
    },
  };
}

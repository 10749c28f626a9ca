import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createHttpLogHandler } from "./handler.js";
import { type HttpLogConfig, httpLogSchema } from "./schema.js";

const httpLog: PluginDefinition<HttpLogConfig> = {
  name: "http-log",
  priority: BUNDLED_PLUGIN_PRIORITIES["http-log"],
  version: KONG_VERSION,
  configSchema: httpLogSchema,
  create: createHttpLogHandler,
};

export default httpLog;

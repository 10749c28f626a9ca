import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createStatsdHandler } from "./handler.js";
import { type StatsdConfig, statsdSchema } from "./schema.js";

const statsd: PluginDefinition<StatsdConfig> = {
  name: "statsd",
  priority: BUNDLED_PLUGIN_PRIORITIES.statsd,
  version: KONG_VERSION,
  configSchema: statsdSchema,
  create: createStatsdHandler,
};

export default statsd;

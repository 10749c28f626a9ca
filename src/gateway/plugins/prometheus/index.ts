import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createPrometheusHandler } from "./handler.js";
import { type PrometheusConfig, prometheusSchema } from "./schema.js";

const prometheus: PluginDefinition<PrometheusConfig> = {
  name: "prometheus",
  priority: BUNDLED_PLUGIN_PRIORITIES.prometheus,
  version: KONG_VERSION,
  configSchema: prometheusSchema,
  create: createPrometheusHandler,
};

export default prometheus;

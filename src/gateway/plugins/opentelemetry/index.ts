import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createOpenTelemetryHandler } from "./handler.js";
import { type OpenTelemetryConfig, openTelemetrySchema } from "./schema.js";

const openTelemetry: PluginDefinition<OpenTelemetryConfig> = {
  name: "opentelemetry",
  priority: BUNDLED_PLUGIN_PRIORITIES.opentelemetry,
  version: KONG_VERSION,
  configSchema: openTelemetrySchema,
  create: createOpenTelemetryHandler,
};

export default openTelemetry;

import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createCorrelationIdHandler } from "./handler.js";
import { type CorrelationIdConfig, correlationIdSchema } from "./schema.js";

const correlationId: PluginDefinition<CorrelationIdConfig> = {
  name: "correlation-id",
  priority: BUNDLED_PLUGIN_PRIORITIES["correlation-id"],
  version: KONG_VERSION,
  configSchema: correlationIdSchema,
  create: createCorrelationIdHandler,
};

export default correlationId;

import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createRequestSizeLimitingHandler } from "./handler.js";
import { type RequestSizeLimitingConfig, requestSizeLimitingSchema } from "./schema.js";

const requestSizeLimiting: PluginDefinition<RequestSizeLimitingConfig> = {
  name: "request-size-limiting",
  priority: BUNDLED_PLUGIN_PRIORITIES["request-size-limiting"],
  version: KONG_VERSION,
  configSchema: requestSizeLimitingSchema,
  create: createRequestSizeLimitingHandler,
};

export default requestSizeLimiting;

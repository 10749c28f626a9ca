import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createResponseRateLimitingHandler } from "./handler.js";
import {
  type ResponseRateLimitingConfig,
  responseRateLimitingDatabaseSchema,
  responseRateLimitingSchema,
} from "./schema.js";

const responseRateLimiting: PluginDefinition<ResponseRateLimitingConfig> = {
  name: "response-ratelimiting",
  priority: BUNDLED_PLUGIN_PRIORITIES["response-ratelimiting"],
  version: KONG_VERSION,
  configSchema: responseRateLimitingSchema,
  databaseConfigSchema: responseRateLimitingDatabaseSchema,
  create: createResponseRateLimitingHandler,
};

export default responseRateLimiting;

import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createRateLimitingHandler } from "./handler.js";
import { type RateLimitingConfig, rateLimitingDatabaseSchema, rateLimitingSchema } from "./schema.js";

const rateLimiting: PluginDefinition<RateLimitingConfig> = {
  name: "rate-limiting",
  priority: BUNDLED_PLUGIN_PRIORITIES["rate-limiting"],
  version: KONG_VERSION,
  configSchema: rateLimitingSchema,
  databaseConfigSchema: rateLimitingDatabaseSchema,
  create: createRateLimitingHandler,
};

export default rateLimiting;

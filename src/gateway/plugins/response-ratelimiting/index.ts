import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createResponseRateLimitingHandler } from "./handler.js";
import {
  type ResponseRateLimitingConfig,
  responseRateLimitingDatabaseSchema,
  responseRateLimitingSchema,
} from "./schema.js";

// the intersection names the database-mode schema until the contract's own field lands (plugins/types.ts)
const responseRateLimiting: PluginDefinition<ResponseRateLimitingConfig> & {
  databaseConfigSchema: typeof responseRateLimitingDatabaseSchema;
} = {
  name: "response-ratelimiting",
  priority: BUNDLED_PLUGIN_PRIORITIES["response-ratelimiting"],
  version: KONG_VERSION,
  configSchema: responseRateLimitingSchema,
  databaseConfigSchema: responseRateLimitingDatabaseSchema,
  create: createResponseRateLimitingHandler,
};

export default responseRateLimiting;

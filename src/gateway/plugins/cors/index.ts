import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createCorsHandler } from "./handler.js";
import { type CorsConfig, corsSchema } from "./schema.js";

const cors: PluginDefinition<CorsConfig> = {
  name: "cors",
  priority: BUNDLED_PLUGIN_PRIORITIES.cors,
  version: KONG_VERSION,
  configSchema: corsSchema,
  forbiddenScopes: ["consumer"],
  create: createCorsHandler,
};

export default cors;

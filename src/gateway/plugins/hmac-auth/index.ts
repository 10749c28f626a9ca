import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createHmacAuthHandler } from "./handler.js";
import { type HmacAuthConfig, hmacAuthSchema } from "./schema.js";

const hmacAuth: PluginDefinition<HmacAuthConfig> = {
  name: "hmac-auth",
  priority: BUNDLED_PLUGIN_PRIORITIES["hmac-auth"],
  version: KONG_VERSION,
  configSchema: hmacAuthSchema,
  forbiddenScopes: ["consumer"],
  create: createHmacAuthHandler,
};

export default hmacAuth;

import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createKeyAuthHandler } from "./handler.js";
import { type KeyAuthConfig, keyAuthSchema } from "./schema.js";

const keyAuth: PluginDefinition<KeyAuthConfig> = {
  name: "key-auth",
  priority: BUNDLED_PLUGIN_PRIORITIES["key-auth"],
  version: KONG_VERSION,
  configSchema: keyAuthSchema,
  forbiddenScopes: ["consumer"],
  create: createKeyAuthHandler,
};

export default keyAuth;

import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createBasicAuthHandler } from "./handler.js";
import { type BasicAuthConfig, basicAuthSchema } from "./schema.js";

const basicAuth: PluginDefinition<BasicAuthConfig> = {
  name: "basic-auth",
  priority: BUNDLED_PLUGIN_PRIORITIES["basic-auth"],
  version: KONG_VERSION,
  configSchema: basicAuthSchema,
  forbiddenScopes: ["consumer"],
  create: createBasicAuthHandler,
};

export default basicAuth;

import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createJwtHandler } from "./handler.js";
import { type JwtConfig, jwtSchema } from "./schema.js";

const jwt: PluginDefinition<JwtConfig> = {
  name: "jwt",
  priority: BUNDLED_PLUGIN_PRIORITIES.jwt,
  version: KONG_VERSION,
  configSchema: jwtSchema,
  forbiddenScopes: ["consumer"],
  create: createJwtHandler,
};

export default jwt;

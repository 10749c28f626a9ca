import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createProxyCacheHandler } from "./handler.js";
import { type ProxyCacheConfig, proxyCacheSchema } from "./schema.js";

const proxyCache: PluginDefinition<ProxyCacheConfig> = {
  name: "proxy-cache",
  priority: BUNDLED_PLUGIN_PRIORITIES["proxy-cache"],
  version: KONG_VERSION,
  configSchema: proxyCacheSchema,
  create: createProxyCacheHandler,
};

export default proxyCache;

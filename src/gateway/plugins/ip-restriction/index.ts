import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createIpRestrictionHandler } from "./handler.js";
import { type IpRestrictionConfig, ipRestrictionSchema } from "./schema.js";

const ipRestriction: PluginDefinition<IpRestrictionConfig> = {
  name: "ip-restriction",
  priority: BUNDLED_PLUGIN_PRIORITIES["ip-restriction"],
  version: KONG_VERSION,
  configSchema: ipRestrictionSchema,
  create: createIpRestrictionHandler,
};

export default ipRestriction;

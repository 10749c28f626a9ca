import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createAclHandler } from "./handler.js";
import { type AclConfig, aclSchema } from "./schema.js";

const acl: PluginDefinition<AclConfig> = {
  name: "acl",
  priority: BUNDLED_PLUGIN_PRIORITIES.acl,
  version: KONG_VERSION,
  configSchema: aclSchema,
  forbiddenScopes: ["consumer"],
  create: createAclHandler,
};

export default acl;

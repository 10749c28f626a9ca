import { oauth2RandomString } from "../../config/entities/oauth2_credentials.js";
import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createOAuth2Handler } from "./handler.js";
import { type OAuth2Config, oauth2Schema } from "./schema.js";

const oauth2: PluginDefinition<OAuth2Config> = {
  name: "oauth2",
  priority: BUNDLED_PLUGIN_PRIORITIES.oauth2,
  version: KONG_VERSION,
  configSchema: oauth2Schema,
  forbiddenScopes: ["consumer"],
  storesEntities: "oauth2_tokens",
  generatedConfig: { provision_key: oauth2RandomString },
  create: createOAuth2Handler,
};

export default oauth2;

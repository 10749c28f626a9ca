import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createResponseTransformerHandler } from "./handler.js";
import { type ResponseTransformerConfig, responseTransformerSchema } from "./schema.js";

const responseTransformer: PluginDefinition<ResponseTransformerConfig> = {
  name: "response-transformer",
  priority: BUNDLED_PLUGIN_PRIORITIES["response-transformer"],
  version: KONG_VERSION,
  configSchema: responseTransformerSchema,
  create: createResponseTransformerHandler,
};

export default responseTransformer;

import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createRequestTransformerHandler } from "./handler.js";
import { type RequestTransformerConfig, requestTransformerSchema } from "./schema.js";

const requestTransformer: PluginDefinition<RequestTransformerConfig> = {
  name: "request-transformer",
  priority: BUNDLED_PLUGIN_PRIORITIES["request-transformer"],
  version: KONG_VERSION,
  configSchema: requestTransformerSchema,
  create: createRequestTransformerHandler,
};

export default requestTransformer;

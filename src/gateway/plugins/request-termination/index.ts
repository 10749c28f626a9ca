import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createRequestTerminationHandler } from "./handler.js";
import { type RequestTerminationConfig, requestTerminationSchema } from "./schema.js";

const requestTermination: PluginDefinition<RequestTerminationConfig> = {
  name: "request-termination",
  priority: BUNDLED_PLUGIN_PRIORITIES["request-termination"],
  version: KONG_VERSION,
  configSchema: requestTerminationSchema,
  create: createRequestTerminationHandler,
};

export default requestTermination;

import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createUdpLogHandler } from "./handler.js";
import { type UdpLogConfig, udpLogSchema } from "./schema.js";

const udpLog: PluginDefinition<UdpLogConfig> = {
  name: "udp-log",
  priority: BUNDLED_PLUGIN_PRIORITIES["udp-log"],
  version: KONG_VERSION,
  configSchema: udpLogSchema,
  create: createUdpLogHandler,
};

export default udpLog;

import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createTcpLogHandler } from "./handler.js";
import { type TcpLogConfig, tcpLogSchema } from "./schema.js";

const tcpLog: PluginDefinition<TcpLogConfig> = {
  name: "tcp-log",
  priority: BUNDLED_PLUGIN_PRIORITIES["tcp-log"],
  version: KONG_VERSION,
  configSchema: tcpLogSchema,
  create: createTcpLogHandler,
};

export default tcpLog;

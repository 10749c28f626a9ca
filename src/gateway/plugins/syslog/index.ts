import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createSyslogHandler } from "./handler.js";
import { type SyslogConfig, syslogSchema } from "./schema.js";

const syslog: PluginDefinition<SyslogConfig> = {
  name: "syslog",
  priority: BUNDLED_PLUGIN_PRIORITIES.syslog,
  version: KONG_VERSION,
  configSchema: syslogSchema,
  create: createSyslogHandler,
};

export default syslog;

import { KONG_VERSION } from "../_shared/version.js";
import { BUNDLED_PLUGIN_PRIORITIES } from "../bundled.js";
import type { PluginDefinition } from "../types.js";
import { createFileLogHandler } from "./handler.js";
import { type FileLogConfig, fileLogSchema } from "./schema.js";

const fileLog: PluginDefinition<FileLogConfig> = {
  name: "file-log",
  priority: BUNDLED_PLUGIN_PRIORITIES["file-log"],
  version: KONG_VERSION,
  configSchema: fileLogSchema,
  create: createFileLogHandler,
};

export default fileLog;

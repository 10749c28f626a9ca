/** Config fields shared by the logging plugins (http-log, file-log), as Kong declares them. */
import { z } from "zod";
import type { GatewayLogger } from "../types.js";

/** Kong's typedefs.lua_code: accepted for compatibility, never executed here. */
export const customFieldsByLuaField = z
  .record(z.string(), z.string())
  .nullish()
  .describe(
    "Lua code as a key-value map (Kong runs it to add fields to the log entry). Accepted for " +
      "compatibility and ignored: this gateway does not run Lua (a warning is logged).",
  );

/** Warn once per plugin instance that custom_fields_by_lua is ignored. */
export function warnIgnoredLua(
  plugin: string,
  fields: Record<string, string> | null | undefined,
  logger: GatewayLogger,
): void {
  if (fields && Object.keys(fields).length > 0) {
    logger.warn(`${plugin}: custom_fields_by_lua is not supported and is ignored`, {
      fields: Object.keys(fields),
    });
  }
}

/** Config of Kong's `file-log` plugin (Kong 3.x fields and defaults). */
import { z } from "zod";
import { customFieldsByLuaField } from "../_shared/log-schema.js";

export const fileLogSchema = z
  .strictObject({
    path: z
      .string()
      .regex(/^[^*&%`]+$/, "not a valid filename")
      .describe(
        "The file path of the output log file. The plugin creates the log file if it doesn't exist yet " +
          "(mode 0644). `/dev/stdout` and `/dev/stderr` write to the gateway's own output streams.",
      ),
    reopen: z
      .boolean()
      .default(false)
      .describe(
        "Determines whether the log file is closed and reopened on every request (for log rotation).",
      ),
    custom_fields_by_lua: customFieldsByLuaField,
  })
  .describe(
    "Appends Kong's JSON log entry of every request as one line to a file (or /dev/stdout), after the response " +
      "has been sent.",
  );

export type FileLogConfig = z.output<typeof fileLogSchema>;

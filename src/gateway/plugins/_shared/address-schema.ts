/** Kong's typedefs.host and typedefs.port for plugin configs (tcp-log, udp-log, statsd). */
import { z } from "zod";
import { parseHostPort } from "../../config/schema/typedefs.js";

/** A host name or IP address without a port (Kong's messages). */
export function hostField(description: string) {
  return z
    .string()
    .superRefine((host, ctx) => {
      const r = parseHostPort(host);
      if (!r.ok && r.err !== "invalid port number") {
        ctx.addIssue({ code: "custom", message: `invalid value: ${host}` });
      } else if (!r.ok || r.port !== null) {
        ctx.addIssue({ code: "custom", message: "must not have a port" });
      }
    })
    .describe(description);
}

/** A number in [min, max] with Kong's `between` message. */
export function between(min: number, max: number) {
  return (v: number, ctx: z.RefinementCtx) => {
    if (v < min || v > max)
      ctx.addIssue({ code: "custom", message: `value should be between ${min} and ${max}` });
  };
}

/** A port number, 0–65535. */
export function portField(description: string) {
  return z.number().int().superRefine(between(0, 65535)).describe(`${description} (0–65535)`);
}

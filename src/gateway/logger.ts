import type { GatewayLogger } from "./plugins/types.js";

/** Process log (not the access log): JSON lines with time, level, msg and fields. */
export function jsonLogger(
  stream: NodeJS.WritableStream,
  minLevel: "info" | "warn" | "error" = "info",
): GatewayLogger {
  const rank = { info: 0, warn: 1, error: 2 } as const;
  const write = (level: keyof typeof rank, msg: string, fields?: Record<string, unknown>) => {
    if (rank[level] < rank[minLevel]) return;
    stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
  return {
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}

export const silentLogger: GatewayLogger = { info() {}, warn() {}, error() {} };

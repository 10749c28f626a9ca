/**
 * Kong's file-log: one JSON line (Kong's log payload) per request, appended after the
 * response has been sent.
 */
import { kongLogPayload } from "../_shared/log-payload.js";
import { warnIgnoredLua } from "../_shared/log-schema.js";
import type {
  AccessLogEntry,
  PluginEntry,
  PluginEnvironment,
  PluginHandler,
  RequestContext,
} from "../types.js";
import type { FileLogConfig } from "./schema.js";
import { type LineSink, openLineSink } from "./writer.js";

export class FileLogHandler implements PluginHandler {
  readonly sink: LineSink;
  readonly sinkKey: string;

  constructor(conf: FileLogConfig, env: PluginEnvironment) {
    this.sinkKey = `${conf.reopen}|${conf.path}`;
    const prev = env.previous;
    if (prev instanceof FileLogHandler && prev.sinkKey === this.sinkKey) {
      this.sink = prev.sink;
    } else {
      if (prev instanceof FileLogHandler) void prev.sink.close();
      this.sink = openLineSink(conf.path, conf.reopen, env.logger);
    }
    warnIgnoredLua("file-log", conf.custom_fields_by_lua, env.logger);
  }

  log(ctx: RequestContext, entry: AccessLogEntry): void {
    this.sink.write(`${JSON.stringify(kongLogPayload(ctx, entry))}\n`);
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}

export function createFileLogHandler(
  entry: PluginEntry<FileLogConfig>,
  env: PluginEnvironment,
): PluginHandler {
  return new FileLogHandler(entry.config, env);
}

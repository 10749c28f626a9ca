/**
 * Kong's file-log: one JSON line (Kong's log payload) per request, appended after the
 * response has been sent.
 */
import { Retirement } from "../_shared/handover.js";
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
  private readonly retired: Retirement | null = null;

  constructor(conf: FileLogConfig, env: PluginEnvironment) {
    this.sinkKey = `${conf.reopen}|${conf.path}`;
    const prev = env.previous;
    if (prev instanceof FileLogHandler && prev.sinkKey === this.sinkKey) {
      this.sink = prev.sink;
    } else {
      if (prev instanceof FileLogHandler) this.retired = new Retirement(() => prev.close());
      this.sink = openLineSink(conf.path, conf.reopen, env.logger);
    }
    warnIgnoredLua("file-log", conf.custom_fields_by_lua, env.logger);
  }

  log(ctx: RequestContext, entry: AccessLogEntry): void {
    this.sink.write(`${JSON.stringify(kongLogPayload(ctx, entry))}\n`);
  }

  async close(): Promise<void> {
    await this.retired?.now();
    await this.sink.close();
  }
}

export function createFileLogHandler(
  entry: PluginEntry<FileLogConfig>,
  env: PluginEnvironment,
): PluginHandler {
  return new FileLogHandler(entry.config, env);
}

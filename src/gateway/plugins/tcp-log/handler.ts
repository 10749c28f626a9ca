/**
 * Kong's tcp-log: after the response, Kong's log entry (the serializer shared with http-log
 * and file-log, credentials redacted) goes out as one JSON line on a kept-alive TCP or TLS
 * connection. The log phase only appends to the connection's buffer.
 */
import { Retirement } from "../_shared/handover.js";
import { kongLogPayload } from "../_shared/log-payload.js";
import { warnIgnoredLua } from "../_shared/log-schema.js";
import { TcpLines } from "../_shared/tcp-lines.js";
import type {
  AccessLogEntry,
  PluginEntry,
  PluginEnvironment,
  PluginHandler,
  RequestContext,
} from "../types.js";
import type { TcpLogConfig } from "./schema.js";

export class TcpLogHandler implements PluginHandler {
  readonly lines: TcpLines;
  readonly key: string;
  private readonly retired: Retirement | null = null;

  constructor(conf: TcpLogConfig, env: PluginEnvironment) {
    warnIgnoredLua("tcp-log", conf.custom_fields_by_lua, env.logger);
    this.key = JSON.stringify([conf.host, conf.port, conf.timeout, conf.keepalive, conf.tls, conf.tls_sni]);
    const prev = env.previous;
    if (prev instanceof TcpLogHandler && prev.key === this.key) {
      // same receiver: keep the connection (and what it is still sending)
      this.lines = prev.lines;
    } else {
      if (prev instanceof TcpLogHandler) this.retired = new Retirement(() => prev.close());
      this.lines = new TcpLines(
        {
          host: conf.host,
          port: conf.port,
          timeoutMs: conf.timeout,
          keepaliveMs: conf.keepalive,
          tls: conf.tls,
          tlsSni: conf.tls_sni,
          name: "tcp-log",
        },
        env.logger,
      );
    }
  }

  log(ctx: RequestContext, entry: AccessLogEntry): void {
    this.lines.send(`${JSON.stringify(kongLogPayload(ctx, entry))}\n`);
  }

  async close(): Promise<void> {
    await this.retired?.now();
    await this.lines.close();
  }
}

export function createTcpLogHandler(entry: PluginEntry<TcpLogConfig>, env: PluginEnvironment): PluginHandler {
  return new TcpLogHandler(entry.config, env);
}

/**
 * Kong's udp-log: after the response, Kong's log entry (the serializer shared with http-log
 * and file-log, credentials redacted) goes out as one JSON datagram (no terminator, as Kong).
 * The log phase only hands the datagram to the kernel.
 */
import { kongLogPayload } from "../_shared/log-payload.js";
import { warnIgnoredLua } from "../_shared/log-schema.js";
import { UdpDatagrams } from "../_shared/udp-datagrams.js";
import type {
  AccessLogEntry,
  PluginEntry,
  PluginEnvironment,
  PluginHandler,
  RequestContext,
} from "../types.js";
import type { UdpLogConfig } from "./schema.js";

export class UdpLogHandler implements PluginHandler {
  readonly datagrams: UdpDatagrams;

  constructor(conf: UdpLogConfig, env: PluginEnvironment) {
    warnIgnoredLua("udp-log", conf.custom_fields_by_lua, env.logger);
    this.datagrams = new UdpDatagrams(conf.host, conf.port, "udp-log", env.logger);
  }

  log(ctx: RequestContext, entry: AccessLogEntry): void {
    this.datagrams.send(JSON.stringify(kongLogPayload(ctx, entry)));
  }

  close(): Promise<void> {
    return this.datagrams.close();
  }
}

export function createUdpLogHandler(entry: PluginEntry<UdpLogConfig>, env: PluginEnvironment): PluginHandler {
  return new UdpLogHandler(entry.config, env);
}

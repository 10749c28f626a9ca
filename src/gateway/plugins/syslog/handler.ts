/**
 * Kong's syslog: after the response, Kong's log entry (the serializer shared with http-log
 * and file-log, credentials redacted) is sent as one syslog message whose severity depends on
 * the status class (successful / client errors / server errors) — only when that severity is
 * at least as severe as `log_level`. Over UDP one datagram per message; over TCP a kept-alive
 * connection with newline framing (RFC 6587). The log phase only hands the message over.
 */
import { hostname } from "node:os";
import { Retirement } from "../_shared/handover.js";
import { kongLogPayload } from "../_shared/log-payload.js";
import { warnIgnoredLua } from "../_shared/log-schema.js";
import { TcpLines } from "../_shared/tcp-lines.js";
import { UdpDatagrams } from "../_shared/udp-datagrams.js";
import type {
  AccessLogEntry,
  GatewayLogger,
  PluginEntry,
  PluginEnvironment,
  PluginHandler,
  RequestContext,
} from "../types.js";
import { SEVERITY_CODES, syslogMessage } from "./message.js";
import type { Severity, SyslogConfig } from "./schema.js";

export const SYSLOG_ADDRESS_ENV = "GATEWAY_SYSLOG_ADDRESS";
export const DEFAULT_SYSLOG_ADDRESS = "udp://127.0.0.1:514";

export interface SyslogAddress {
  transport: "udp" | "tcp";
  host: string;
  port: number;
}

/** `udp://host:port` or `tcp://host:port` (port default 514); null when it is neither. */
export function parseSyslogAddress(text: string): SyslogAddress | null {
  const m = /^(udp|tcp):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d{1,5}))?\/?$/.exec(text.trim());
  if (m === null) return null;
  const port = m[3] === undefined ? 514 : Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { transport: m[1] as "udp" | "tcp", host: m[2]!.replace(/^\[|\]$/g, ""), port };
}

interface Sender {
  send(message: string): void;
  close(): Promise<void>;
}

function openSender(address: SyslogAddress, logger: GatewayLogger): Sender {
  if (address.transport === "udp") return new UdpDatagrams(address.host, address.port, "syslog", logger);
  const lines = new TcpLines(
    {
      host: address.host,
      port: address.port,
      timeoutMs: 10_000,
      keepaliveMs: 60_000,
      tls: false,
      name: "syslog",
    },
    logger,
  );
  return { send: (message) => lines.send(`${message}\n`), close: () => lines.close() };
}

export class SyslogHandler implements PluginHandler {
  readonly sender: Sender;
  readonly key: string;
  private readonly threshold: number;
  private readonly hostname = hostname();
  private readonly retired: Retirement | null = null;

  constructor(
    private readonly conf: SyslogConfig,
    env: PluginEnvironment,
    addressText: string = process.env[SYSLOG_ADDRESS_ENV] ?? DEFAULT_SYSLOG_ADDRESS,
  ) {
    warnIgnoredLua("syslog", conf.custom_fields_by_lua, env.logger);
    this.threshold = SEVERITY_CODES[conf.log_level];
    let address = parseSyslogAddress(addressText);
    if (address === null) {
      env.logger.error(
        `syslog: ${SYSLOG_ADDRESS_ENV} must be udp://host:port or tcp://host:port; using ${DEFAULT_SYSLOG_ADDRESS}`,
        { value: addressText },
      );
      address = parseSyslogAddress(DEFAULT_SYSLOG_ADDRESS)!;
    }
    this.key = `${address.transport}://${address.host}:${address.port}`;
    const prev = env.previous;
    if (prev instanceof SyslogHandler && prev.key === this.key) this.sender = prev.sender;
    else {
      if (prev instanceof SyslogHandler) this.retired = new Retirement(() => prev.close());
      this.sender = openSender(address, env.logger);
    }
  }

  /** The severity of an answer with this status (Kong: 5xx, 4xx, anything else). */
  severityOf(status: number): Severity {
    const c = this.conf;
    return status >= 500
      ? c.server_errors_severity
      : status >= 400
        ? c.client_errors_severity
        : c.successful_severity;
  }

  log(ctx: RequestContext, entry: AccessLogEntry): void {
    const severity = this.severityOf(entry.response.status);
    // syslog severities: lower is more severe
    if (SEVERITY_CODES[severity] > this.threshold) return;
    const text = JSON.stringify(kongLogPayload(ctx, entry));
    this.sender.send(syslogMessage(this.conf.facility, severity, this.hostname, text));
  }

  async close(): Promise<void> {
    await this.retired?.now();
    await this.sender.close();
  }
}

export function createSyslogHandler(entry: PluginEntry<SyslogConfig>, env: PluginEnvironment): PluginHandler {
  return new SyslogHandler(entry.config, env);
}

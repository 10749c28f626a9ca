/** Config of Kong's `syslog` plugin (Kong 3.x fields and defaults). */
import { z } from "zod";
import { customFieldsByLuaField } from "../_shared/log-schema.js";

export const SEVERITIES = ["debug", "info", "notice", "warning", "err", "crit", "alert", "emerg"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FACILITIES = [
  "auth",
  "authpriv",
  "cron",
  "daemon",
  "ftp",
  "kern",
  "lpr",
  "mail",
  "news",
  "syslog",
  "user",
  "uucp",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
] as const;
export type Facility = (typeof FACILITIES)[number];

const severity = (description: string) => z.enum(SEVERITIES).default("info").describe(description);

export const syslogSchema = z
  .strictObject({
    log_level: severity(
      "The least severe message that is sent: a request whose severity (below) is less severe than this is not logged.",
    ),
    successful_severity: severity("The severity of requests answered with a status below 400."),
    client_errors_severity: severity("The severity of requests answered with a 4xx status."),
    server_errors_severity: severity("The severity of requests answered with a 5xx status."),
    custom_fields_by_lua: customFieldsByLuaField,
    facility: z
      .enum(FACILITIES)
      .default("user")
      .describe("The facility is used by the operating system to decide how to handle each log message."),
  })
  .describe(
    "Sends Kong's JSON log entry of every request to syslog (tag `kong`, BSD/RFC 3164 format), with a " +
      "severity per status class. Kong writes to the host's syslog socket; this gateway sends to the syslog " +
      "receiver named by the GATEWAY_SYSLOG_ADDRESS environment variable (`udp://host:port` or " +
      "`tcp://host:port`, default `udp://127.0.0.1:514`, e.g. rsyslog's imudp/imtcp). Never delays the " +
      "proxied response.",
  );

export type SyslogConfig = z.output<typeof syslogSchema>;

/** Config of Kong's `tcp-log` plugin (Kong 3.x fields and defaults). */
import { z } from "zod";
import { hostField, portField } from "../_shared/address-schema.js";
import { customFieldsByLuaField } from "../_shared/log-schema.js";

export const tcpLogSchema = z
  .strictObject({
    host: hostField("The IP address or host name to send data to."),
    port: portField("The port to send data to on the upstream server."),
    timeout: z
      .number()
      .default(10000)
      .describe("An optional timeout in milliseconds when sending data to the upstream server."),
    keepalive: z
      .number()
      .default(60000)
      .describe(
        "An optional value in milliseconds that defines how long an idle connection lives before being closed.",
      ),
    tls: z
      .boolean()
      .default(false)
      .describe(
        "Indicates whether to perform a TLS handshake against the remote server (the certificate is not verified, as Kong).",
      ),
    tls_sni: z
      .string()
      .nullish()
      .describe(
        "An optional string that defines the SNI (Server Name Indication) hostname to send in the TLS handshake.",
      ),
    custom_fields_by_lua: customFieldsByLuaField,
  })
  .describe(
    "Sends Kong's JSON log entry of every request as one line (newline-terminated) over a TCP or TLS " +
      "connection that is kept open and reused; never delays the proxied response.",
  );

export type TcpLogConfig = z.output<typeof tcpLogSchema>;

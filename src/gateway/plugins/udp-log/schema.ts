/** Config of Kong's `udp-log` plugin (Kong 3.x fields and defaults). */
import { z } from "zod";
import { hostField, portField } from "../_shared/address-schema.js";
import { customFieldsByLuaField } from "../_shared/log-schema.js";

export const udpLogSchema = z
  .strictObject({
    host: hostField("The IP address or host name to send data to."),
    port: portField("The port to send data to on the upstream server."),
    timeout: z
      .number()
      .default(10000)
      .describe("An optional timeout in milliseconds when sending data to the upstream server."),
    custom_fields_by_lua: customFieldsByLuaField,
  })
  .describe(
    "Sends Kong's JSON log entry of every request as one UDP datagram; never delays the proxied response.",
  );

export type UdpLogConfig = z.output<typeof udpLogSchema>;

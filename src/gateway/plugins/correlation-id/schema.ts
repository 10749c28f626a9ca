import { z } from "zod";

export const correlationIdSchema = z
  .strictObject({
    header_name: z
      .string()
      .min(1)
      .default("Kong-Request-ID")
      .describe("The header holding the correlation id."),
    generator: z
      .enum(["uuid", "uuid#counter", "tracker"])
      .default("uuid#counter")
      .describe(
        "How ids are made: `uuid` (a random UUID per request), `uuid#counter` (a UUID per process and a counter, " +
          "`<uuid>#<n>`), `tracker` (`<server_addr>-<server_port>-<pid>-<connection>-<connection_requests>-<msec>`).",
      ),
    echo_downstream: z
      .boolean()
      .default(false)
      .describe("If `true`, the id is also sent back to the client in the same header."),
  })
  .describe(
    "Adds a correlation id header to every request (keeping one the client already sent) so a request can be " +
      "followed across services.",
  );

export type CorrelationIdConfig = z.infer<typeof correlationIdSchema>;

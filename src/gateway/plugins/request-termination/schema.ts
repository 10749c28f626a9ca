import { z } from "zod";
import { headerName } from "../_shared/auth-schema.js";

const present = (v: string | null | undefined): boolean => typeof v === "string" && v.length > 0;

export const requestTerminationSchema = z
  .strictObject({
    status_code: z
      .int({ error: "expected an integer" })
      .superRefine((v, ctx) => {
        if (v < 100 || v > 599)
          ctx.addIssue({ code: "custom", message: "value should be between 100 and 599" });
      })
      .default(503)
      .describe("The response code to send. Must be an integer between 100 and 599."),
    message: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'The message to send, as `{"message": …}`, if using the default response generator; unset: Kong\'s ' +
          "default message for the status (503 `Service unavailable`, 404 `Not found`…), or no body.",
      ),
    content_type: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe("Content type of the raw response configured with `config.body`."),
    body: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe("The raw response body to send. This is mutually exclusive with the `config.message` field."),
    echo: z
      .boolean()
      .default(false)
      .describe(
        "When set, the plugin echoes a copy of the request back to the client (as JSON: the request's scheme, " +
          "host, port, headers, query, body, method, path and URI captures, the matched route and service). " +
          "Meant for debugging; with `trigger`, live systems can be debugged without disturbing real traffic.",
      ),
    trigger: headerName
      .nullable()
      .default(null)
      .describe(
        "When set, the plugin only terminates requests carrying a header or query argument of this name; " +
          "the others are proxied as usual.",
      ),
  })
  .superRefine((conf, ctx) => {
    // Kong's custom_validator of the config record: reported at `config`
    let message: string | null = null;
    if (present(conf.message) && (present(conf.content_type) || present(conf.body)))
      message = "message cannot be used with content_type or body";
    else if (present(conf.content_type) && !present(conf.body)) message = "content_type requires a body";
    else if (conf.echo && (present(conf.content_type) || present(conf.body)))
      message = "echo cannot be used with content_type and body";
    if (message !== null) ctx.addIssue({ code: "custom", path: [], message });
  })
  .describe(
    "Terminates requests with a fixed status and message or body (e.g. maintenance), or echoes them back; " +
      "with `trigger`, only the requests that ask for it.",
  );

export type RequestTerminationConfig = z.infer<typeof requestTerminationSchema>;

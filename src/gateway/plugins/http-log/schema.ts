/** Config of Kong's `http-log` plugin (Kong 3.x fields, defaults and queue parameters). */
import { z } from "zod";
import { headerName } from "../_shared/auth-schema.js";
import { customFieldsByLuaField } from "../_shared/log-schema.js";
import { queueSchema } from "../_shared/queue-schema.js";

function urlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "invalid url";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "unsupported scheme";
  if (url.hostname === "") return "missing host in url";
  return null;
}

const FORBIDDEN_HEADERS: Record<string, string> = {
  host: "cannot contain 'Host' header",
  "content-length": "cannot contain 'Content-Length' header",
  "content-type": "cannot contain 'Content-Type' header",
};

export const httpLogSchema = z
  .strictObject({
    http_endpoint: z
      .string()
      .superRefine((v, ctx) => {
        const problem = urlProblem(v);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .describe(
        "The HTTP URL the log entries are sent to, such as https://logs.example.com/ingest. User info in " +
          "the URL (`https://user:pass@host/`) is sent as Basic authentication.",
      ),
    method: z
      .enum(["POST", "PUT", "PATCH"])
      .default("POST")
      .describe(
        "An optional method used to send data to the HTTP server. Supported values are `POST` (default), `PUT`, and `PATCH`.",
      ),
    content_type: z
      .enum(["application/json", "application/json; charset=utf-8"])
      .default("application/json")
      .describe("Indicates the type of data sent. The only available option is `application/json`."),
    timeout: z
      .number()
      .default(10000)
      .describe("An optional timeout in milliseconds when sending data to the upstream server."),
    keepalive: z
      .number()
      .default(60000)
      .describe(
        "An optional value in milliseconds that defines how long an idle connection will live before being closed.",
      ),
    ssl_verify: z
      .boolean()
      .default(true)
      .describe(
        "When using TLS, this option enables verification of the certificate presented by the server.",
      ),
    headers: z
      .record(headerName, z.string())
      .superRefine((headers, ctx) => {
        for (const name of Object.keys(headers)) {
          const err = FORBIDDEN_HEADERS[name.toLowerCase()];
          if (err) ctx.addIssue({ code: "custom", path: [name], message: err });
        }
      })
      .nullish()
      .describe(
        "An optional table of headers included in the HTTP message to the upstream server. Values are indexed " +
          "by header name, and each header name accepts a single string.",
      ),
    queue: queueSchema.prefault({}),
    retry_count: z
      .number()
      .int()
      .nullish()
      .describe(
        "Deprecated (Kong 3.x): ignored with a warning; use the `queue.max_retry_time` setting instead.",
      ),
    queue_size: z
      .number()
      .int()
      .nullish()
      .describe(
        "Deprecated (Kong 3.x): maximum number of log entries sent in one request; use `queue.max_batch_size`.",
      ),
    flush_timeout: z
      .number()
      .nullish()
      .describe(
        "Deprecated (Kong 3.x): seconds to wait before sending a partial batch; use `queue.max_coalescing_delay`.",
      ),
    custom_fields_by_lua: customFieldsByLuaField,
  })
  .describe(
    "Sends Kong's JSON log entry of every request to an HTTP endpoint, through a bounded queue that batches " +
      "entries and retries failed deliveries with exponential backoff; never delays the proxied response.",
  );

export type HttpLogConfig = z.output<typeof httpLogSchema>;

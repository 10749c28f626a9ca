/** Config of Kong's `request-size-limiting` plugin (Kong 3.x fields and defaults). */
import { z } from "zod";

export const SIZE_UNITS = ["megabytes", "kilobytes", "bytes"] as const;
export type SizeUnit = (typeof SIZE_UNITS)[number];

/** Kong's unit_multiplication_factor (binary units). */
export const UNIT_BYTES: Readonly<Record<SizeUnit, number>> = {
  bytes: 1,
  kilobytes: 1024,
  megabytes: 1048576,
};

export const requestSizeLimitingSchema = z
  .strictObject({
    allowed_payload_size: z
      .number()
      .int()
      .default(128)
      .describe(
        "Allowed request payload size, in `size_unit` (megabytes by default). Default is `128` megabytes.",
      ),
    size_unit: z
      .enum(SIZE_UNITS)
      .default("megabytes")
      .describe("Size unit can be set either in `bytes`, `kilobytes`, or `megabytes` (default)."),
    require_content_length: z
      .boolean()
      .default(false)
      .describe(
        "Set to `true` to ensure a valid `Content-Length` header exists before reading the request body.",
      ),
  })
  .describe(
    "Refuses request bodies larger than the allowed size: 413 `Request size limit exceeded` (417 when the client " +
      "sent `Expect: 100-continue`), judged from Content-Length or counted while a chunked body is read; optionally " +
      "411 when no Content-Length is sent.",
  );

export type RequestSizeLimitingConfig = z.output<typeof requestSizeLimitingSchema>;

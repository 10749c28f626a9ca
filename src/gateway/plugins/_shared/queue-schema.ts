/** Kong's queue parameters (kong/tools/queue_schema.lua, Kong 3.x) used by the batching log plugins. */
import { z } from "zod";

export const queueSchema = z
  .strictObject({
    max_batch_size: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(1)
      .describe("Maximum number of entries that can be processed at a time."),
    max_coalescing_delay: z
      .number()
      .min(0)
      .max(3600)
      .default(1)
      .describe(
        "Maximum number of (fractional) seconds to elapse after the first entry was queued before the " +
          "queue starts calling the handler.",
      ),
    max_entries: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(10000)
      .describe(
        "Maximum number of entries that can be waiting on the queue (the oldest are dropped beyond it).",
      ),
    max_bytes: z
      .number()
      .int()
      .nullish()
      .describe(
        "Maximum number of bytes that can be waiting on a queue (the oldest entries are dropped beyond it).",
      ),
    max_retry_time: z
      .number()
      .default(60)
      .describe("Time in seconds before the queue gives up calling a failed handler for a batch."),
    initial_retry_delay: z
      .number()
      .min(0.001)
      .max(1_000_000)
      .default(0.01)
      .describe("Time in seconds before the initial retry is made for a failing batch."),
    max_retry_delay: z
      .number()
      .min(0.001)
      .max(1_000_000)
      .default(60)
      .describe("Maximum time in seconds between retries, caps exponential backoff."),
    concurrency_limit: z
      .union([z.literal(-1), z.literal(1)])
      .default(1)
      .describe("The number of batches delivered at the same time: 1, or -1 for unlimited."),
  })
  .describe("Settings of the queue that batches entries and retries failed deliveries.");

export type QueueConfig = z.output<typeof queueSchema>;

/**
 * Config of Kong's `rate-limiting` plugin (Kong 3.x field names and defaults). The
 * legacy flat `redis_*` fields Kong still accepts as shorthands are accepted too and
 * resolved by `redisOptionsOf`; the nested `redis` record wins when both are given.
 */

import { z } from "zod";
import { ENTITY_CHECK } from "../../config/plugin-config.js";
import { PERIODS } from "../_shared/periods.js";
import {
  type RedisOptions,
  redisConfigSchema,
  redisOptionsWithShorthands,
  redisShorthandFields,
} from "../_shared/redis.js";

const limit = (period: string) =>
  z.number().gt(0).nullish().describe(`The number of HTTP requests that can be made per ${period}.`);

const redisSchema = redisConfigSchema("`policy` is `redis`");

/** Kong offers `cluster` in database mode only; DB-less its `one_of` lists local and redis. */
const DBLESS_POLICIES = ["local", "redis"] as const;
const DATABASE_POLICIES = ["local", "cluster", "redis"] as const;

const schemaWith = (policies: typeof DBLESS_POLICIES | typeof DATABASE_POLICIES) =>
  z
    .strictObject({
      second: limit("second"),
      minute: limit("minute"),
      hour: limit("hour"),
      day: limit("day"),
      month: limit("month"),
      year: limit("year"),
      limit_by: z
        .enum(["consumer", "credential", "ip", "service", "header", "path", "consumer-group"])
        .default("consumer")
        .describe(
          "The entity that is used when aggregating the limits: `consumer` (falls back to the credential, " +
            "then the client IP), `credential`, `ip`, `service`, `header` (the value of `header_name`) or " +
            "`path` (requests to exactly `path`). Whenever the entity cannot be determined the client IP is " +
            "used. `consumer-group` is accepted for compatibility and counts by client IP (no consumer groups).",
        ),
      header_name: z
        .string()
        .min(1)
        .nullish()
        .describe("A string representing an HTTP header name (required when `limit_by` is `header`)."),
      path: z
        .string()
        .startsWith("/")
        .nullish()
        .describe(
          "A string representing a URL path, such as /path/to/resource. Must start with a forward slash (/) " +
            "(required when `limit_by` is `path`).",
        ),
      policy: z
        .enum(policies)
        .default("local")
        .describe(
          "The rate-limiting policy to use for retrieving and incrementing the limits: `local` (counters in " +
            "this gateway's memory, windows on its clock), `redis` (counters in Redis, shared by every " +
            "gateway replica and updated atomically, windows on the Redis server's clock: replicas never " +
            "admit more than the limit together, whatever their own clocks say) or, in database mode only, " +
            "`cluster` (counters in the gateway's database, Kong's `ratelimiting_metrics` table, shared and " +
            "exact the same way, windows on the database server's clock). DB-less, `cluster` is refused as " +
            "Kong refuses it.",
        ),
      fault_tolerant: z
        .boolean()
        .default(true)
        .describe(
          "A boolean value that determines if the requests should be proxied even if the gateway has troubles " +
            "connecting a third-party data store. If `true`, requests will be proxied anyway, effectively " +
            "disabling the rate-limiting function until the data store is working again. If `false`, then " +
            "the clients will see `500` errors.",
        ),
      redis: redisSchema.prefault({}),
      hide_client_headers: z
        .boolean()
        .default(false)
        .describe("Optionally hide informative response headers."),
      error_code: z
        .number()
        .gt(0)
        .default(429)
        .describe("Set a custom error code to return when the rate limit is exceeded."),
      error_message: z
        .string()
        .default("API rate limit exceeded")
        .describe("Set a custom error message to return when the rate limit is exceeded."),
      sync_rate: z
        .number()
        .default(-1)
        .describe(
          "How often to sync counter data to the central data store. A value of -1 results in synchronous " +
            "behavior. Accepted for compatibility: this gateway always counts synchronously (exactly).",
        ),
      ...redisShorthandFields,
    })
    .superRefine((conf, ctx) => {
      const set = PERIODS.filter((p) => typeof conf[p] === "number");
      if (set.length === 0) {
        ctx.addIssue({
          code: "custom",
          path: [],
          params: ENTITY_CHECK,
          message: `at least one of these fields must be non-empty: ${PERIODS.map((p) => `'config.${p}'`).join(", ")}`,
        });
      }
      // Kong's validate_periods_order: a longer period may not have a lower limit.
      for (let i = 0; i < PERIODS.length; i++) {
        const lower = PERIODS[i]!;
        const v1 = conf[lower];
        if (typeof v1 !== "number") continue;
        for (const upper of PERIODS.slice(i + 1)) {
          const v2 = conf[upper];
          if (typeof v2 === "number" && v2 < v1) {
            ctx.addIssue({
              code: "custom",
              path: [],
              message: `The limit for ${upper}(${v2.toFixed(1)}) cannot be lower than the limit for ${lower}(${v1.toFixed(1)})`,
            });
          }
        }
      }
      if (conf.limit_by === "header" && !conf.header_name) {
        ctx.addIssue({ code: "custom", path: ["header_name"], message: "required field missing" });
      }
      if (conf.limit_by === "path" && !conf.path) {
        ctx.addIssue({ code: "custom", path: ["path"], message: "required field missing" });
      }
      if (conf.policy === "redis" && !(conf.redis.host ?? conf.redis_host)) {
        ctx.addIssue({ code: "custom", path: ["redis", "host"], message: "required field missing" });
      }
    })
    .describe(
      "Rate-limits requests per second, minute, hour, day, month and year, counted per consumer, credential, " +
        "client IP, service, header or path, in local memory, in Redis or in the gateway's database (database " +
        "mode; both atomically, exact across replicas). " +
        "Answers 429 `API rate limit exceeded` with Retry-After, and sends Kong's X-RateLimit-* and RateLimit-* headers.",
    );

/** The schema DB-less (Kong's when `database = off`): `policy` is `local` or `redis`. */
export const rateLimitingSchema = schemaWith(DBLESS_POLICIES);
/** The schema in database mode: `policy: cluster` too. */
export const rateLimitingDatabaseSchema = schemaWith(DATABASE_POLICIES);

export type RateLimitingConfig = z.output<typeof rateLimitingDatabaseSchema>;

/** The effective Redis settings: nested `redis` fields, else Kong's legacy shorthands. */
export function redisOptionsOf(conf: RateLimitingConfig): RedisOptions {
  return redisOptionsWithShorthands(conf);
}

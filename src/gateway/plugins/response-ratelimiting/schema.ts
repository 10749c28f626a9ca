/**
 * Config of Kong's `response-ratelimiting` plugin (Kong 3.x field names and defaults): named
 * limits (`limits.<name>.<period>`), counted by what the upstream reports in `header_name`. The
 * legacy flat `redis_*` fields Kong still accepts as shorthands are accepted too; the nested
 * `redis` record wins when both are given.
 */
import { z } from "zod";
import { PERIODS } from "../_shared/periods.js";
import {
  type RedisOptions,
  redisConfigSchema,
  redisOptionsWithShorthands,
  redisShorthandFields,
} from "../_shared/redis.js";

const limit = (period: string) =>
  z.number().gt(0).nullish().describe(`The number of units that can be used per ${period}.`);

const limitsRecord = z
  .strictObject({
    second: limit("second"),
    minute: limit("minute"),
    hour: limit("hour"),
    day: limit("day"),
    month: limit("month"),
    year: limit("year"),
  })
  .superRefine((l, ctx) => {
    if (!PERIODS.some((p) => typeof l[p] === "number")) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: `at least one of these fields must be non-empty: ${PERIODS.map((p) => `'${p}'`).join(", ")}`,
      });
    }
  });

/** Kong offers `cluster` in database mode only; DB-less its `one_of` lists local and redis. */
const DBLESS_POLICIES = ["local", "redis"] as const;
const DATABASE_POLICIES = ["local", "cluster", "redis"] as const;

const schemaWith = (policies: typeof DBLESS_POLICIES | typeof DATABASE_POLICIES) =>
  z
    .strictObject({
      header_name: z
        .string()
        .min(1)
        .default("x-kong-limit")
        .describe(
          "The name of the response header used to increment the counters: the upstream answers e.g. " +
            "`x-kong-limit: videos=2, images=1`. The header is removed before the response reaches the client.",
        ),
      limit_by: z
        .enum(["consumer", "credential", "ip"])
        .default("consumer")
        .describe(
          "The entity that will be used when aggregating the limits: `consumer`, `credential`, `ip`. If the " +
            "`consumer` or the `credential` cannot be determined, the system will always fallback to `ip`.",
        ),
      policy: z
        .enum(policies)
        .default("local")
        .describe(
          "The rate-limiting policies to use for retrieving and incrementing the limits: `local` (counters in " +
            "this gateway's memory), `redis` (counters in Redis, shared by every gateway replica, windows on " +
            "the Redis server's clock) or, in database mode only, `cluster` (counters in the gateway's " +
            "database, Kong's `response_ratelimiting_metrics` table, shared the same way, windows on the " +
            "database server's clock). DB-less, `cluster` is refused as Kong refuses it.",
        ),
      fault_tolerant: z
        .boolean()
        .default(true)
        .describe(
          "A boolean value that determines if the requests should be proxied even if the gateway has troubles " +
            "connecting a third-party datastore. If `true`, requests will be proxied anyway, effectively " +
            "disabling the rate-limiting function until the datastore is working again. If `false`, then the " +
            "clients will see `500` errors.",
        ),
      redis: redisConfigSchema("`policy` is `redis`").prefault({}),
      block_on_first_violation: z
        .boolean()
        .default(false)
        .describe(
          "A boolean value that determines if the requests should be blocked as soon as one limit is being " +
            "exceeded. This will block requests that are supposed to consume other limits too.",
        ),
      hide_client_headers: z
        .boolean()
        .default(false)
        .describe("Optionally hide informative response headers."),
      limits: z
        .record(z.string(), limitsRecord)
        .describe(
          "A map that defines rate limits for the plugin: a name (`videos`) → limits per `second`, `minute`, " +
            "`hour`, `day`, `month`, `year` (at least one).",
        ),
      ...redisShorthandFields,
    })
    .superRefine((conf, ctx) => {
      const names = Object.keys(conf.limits);
      if (names.length === 0) {
        ctx.addIssue({ code: "custom", path: ["limits"], message: "length must be at least 1" });
      }
      // Kong's validate_periods_order, per named limit
      for (const name of names) {
        const l = conf.limits[name]!;
        for (let i = 0; i < PERIODS.length; i++) {
          const lower = PERIODS[i]!;
          const v1 = l[lower];
          if (typeof v1 !== "number") continue;
          for (const upper of PERIODS.slice(i + 1)) {
            const v2 = l[upper];
            if (typeof v2 === "number" && v2 < v1) {
              ctx.addIssue({
                code: "custom",
                path: ["limits"],
                message: `the limit for ${upper}(${v2.toFixed(1)}) cannot be lower than the limit for ${lower}(${v1.toFixed(1)})`,
              });
            }
          }
        }
      }
      if (conf.policy === "redis" && !(conf.redis.host ?? conf.redis_host)) {
        ctx.addIssue({ code: "custom", path: ["redis", "host"], message: "required field missing" });
      }
    })
    .describe(
      "Rate-limits by what the upstream reports: each response names the units it used " +
        "(`x-kong-limit: videos=2`), counted per consumer, credential or client IP against named limits per " +
        "second … year, in local memory, in Redis or in the gateway's database (database mode). Only the periods " +
        "configured for a name are counted and reported. Sends `X-RateLimit-Remaining-<name>` upstream and " +
        "`X-RateLimit-Limit-<name>-<period>` / `X-RateLimit-Remaining-<name>-<period>` to the client; a " +
        "response that would use an exhausted limit becomes a 429.",
    );

/** The schema DB-less (Kong's when `database = off`): `policy` is `local` or `redis`. */
export const responseRateLimitingSchema = schemaWith(DBLESS_POLICIES);
/** The schema in database mode: `policy: cluster` too. */
export const responseRateLimitingDatabaseSchema = schemaWith(DATABASE_POLICIES);

export type ResponseRateLimitingConfig = z.output<typeof responseRateLimitingDatabaseSchema>;

/** The effective Redis settings: nested `redis` fields, else Kong's legacy shorthands. */
export function redisOptionsOf(conf: ResponseRateLimitingConfig): RedisOptions {
  return redisOptionsWithShorthands(conf);
}

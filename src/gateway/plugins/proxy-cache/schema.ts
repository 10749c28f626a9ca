/**
 * Config of Kong's `proxy-cache` plugin (Kong 3.x fields and defaults). Strategies:
 * `memory` (Kong OSS's: `memory.dictionary_name` is accepted and ignored; each plugin
 * instance keeps its own store, bounded by `memory.max_bytes` and `memory.max_entries` —
 * gatestack extensions — with least-recently-used eviction) and `redis` (a gatestack
 * extension — Kong OSS has none — shared by every replica, configured by a `redis` record
 * shaped like rate-limiting's).
 */
import { z } from "zod";
import { redisConfigSchema } from "../_shared/redis.js";
import { REDIS_MAX_ENTRY_BYTES } from "./redis-store.js";

export const proxyCacheSchema = z
  .strictObject({
    response_code: z
      .array(z.number().int().min(100).max(900))
      .min(1)
      .default([200, 301, 404])
      .describe("Upstream response status code considered cacheable."),
    request_method: z
      .array(z.enum(["HEAD", "GET", "POST", "PATCH", "PUT"]))
      .default(["GET", "HEAD"])
      .describe("Downstream request methods considered cacheable."),
    content_type: z
      .array(z.string())
      .default(["text/plain", "application/json"])
      .describe(
        "Upstream response content types considered cacheable. The plugin performs an **exact match** " +
          "against each specified value (type, subtype and parameters; `*` matches any type or subtype).",
      ),
    cache_ttl: z.number().int().gt(0).default(300).describe("TTL, in seconds, of cache entities."),
    strategy: z
      .enum(["memory", "redis"])
      .describe(
        "The backing data store in which to hold cache entities: `memory` (this gateway's memory) or " +
          "`redis` (Redis, shared by every gateway replica: a response cached through one replica is a " +
          "hit on all of them, an Admin API purge on any replica purges it for all, entries are dated on " +
          `the Redis server's clock; responses over ${REDIS_MAX_ENTRY_BYTES / 1024 / 1024} MiB are not ` +
          "stored; with Redis unreachable requests are proxied as `Bypass`). `redis` is a gatestack " +
          "extension (Kong OSS has only `memory`). Defaults to `memory`, where Kong requires the field: " +
          "guides that leave it out (`--data name=proxy-cache`) work as written.",
      )
      .default("memory"),
    cache_control: z
      .boolean()
      .default(false)
      .describe("When enabled, respect the Cache-Control behaviors defined in RFC7234."),
    ignore_uri_case: z
      .boolean()
      .default(false)
      .describe(
        "Determines whether to treat URIs as case sensitive. By default, case sensitivity is enabled.",
      ),
    storage_ttl: z
      .number()
      .int()
      .nullish()
      .describe(
        "Number of seconds to keep resources in the storage backend. This value is independent of " +
          "`cache_ttl` or resource TTLs defined by Cache-Control behaviors.",
      ),
    memory: z
      .strictObject({
        dictionary_name: z
          .string()
          .default("kong_db_cache")
          .describe("The name of the shared dictionary in Kong; accepted for compatibility and ignored."),
        max_bytes: z
          .number()
          .int()
          .gt(0)
          .default(33554432)
          .describe(
            "Most bytes (bodies, headers and keys) this plugin instance keeps cached; the least recently " +
              "used entries are evicted beyond it. Default 32 MiB. (gatestack extension)",
          ),
        max_entries: z
          .number()
          .int()
          .gt(0)
          .default(10000)
          .describe(
            "Most responses this plugin instance keeps cached; the least recently used entries are evicted " +
              "beyond it. (gatestack extension)",
          ),
      })
      .prefault({})
      .describe("Settings of the `memory` strategy."),
    redis: redisConfigSchema("`strategy` is `redis`").prefault({}),
    vary_query_params: z
      .array(z.string())
      .nullish()
      .describe(
        "Relevant query parameters considered for the cache key. If undefined, all params are taken into consideration.",
      ),
    vary_headers: z
      .array(z.string())
      .nullish()
      .describe(
        "Relevant headers considered for the cache key. If undefined, none of the headers are taken into consideration.",
      ),
    response_headers: z
      .strictObject({
        age: z.boolean().default(true).describe("Send the `Age` header on cached responses."),
        "X-Cache-Status": z.boolean().default(true).describe("Send the `X-Cache-Status` header."),
        "X-Cache-Key": z.boolean().default(true).describe("Send the `X-Cache-Key` header."),
      })
      .prefault({})
      .describe("Caching related diagnostic headers that should be included in cached responses."),
  })
  .superRefine((conf, ctx) => {
    if (conf.strategy === "redis" && !conf.redis.host) {
      ctx.addIssue({ code: "custom", path: ["redis", "host"], message: "required field missing" });
    }
  })
  .describe(
    "Caches upstream responses in memory (bounded, least recently used evicted) or in Redis (shared by every " +
      "replica) by Kong's cache key and answers " +
      "repeated requests from the cache, with X-Cache-Status (Miss, Hit, Refresh, Bypass), X-Cache-Key and Age. " +
      "Admin API: DELETE /proxy-cache, GET|DELETE /proxy-cache/{cache_key}, GET|DELETE /proxy-cache/{plugin_id}/caches/{cache_key}.",
  );

export type ProxyCacheConfig = z.output<typeof proxyCacheSchema>;

/**
 * Gateway replicas share their state. When the gateway can run as more than one process
 * (`gateway.replicas > 1`, on any deploy target) the stack gets a Redis, and every plugin
 * whose state can live in Redis keeps it there unless stack.yaml says otherwise:
 * rate-limiting's and response-ratelimiting's `policy` and proxy-cache's `strategy` default to `redis`, pointed at the
 * stack's Redis (`redis:6379`, password `{vault://env/REDIS_PASSWORD}`). An explicit
 * `local` / `memory` is kept, with a warning naming what it means across replicas. The
 * effective plugin config is what gateway.yaml carries and what `stack validate` checks.
 */
import { envVaultRef } from "../gateway/config/vault.js";
import type { IssueDraft } from "./issues.js";
import { pluginScopesOf } from "./model.js";
import type { PluginSpec, StackConfig } from "./schema.js";

/** The stack's Redis: its compose service (and host name), port and password variable. */
export const REDIS_SERVICE = "redis";
export const REDIS_PORT = 6379;
export const REDIS_PASSWORD = "REDIS_PASSWORD";

/** The plugins that can keep their state in Redis: the field choosing where, and its two values. */
interface RedisCapable {
  /** the config field choosing the store */
  field: string;
  local: string;
  redis: string;
  /** the plugin's schema defaults `field` to `local` (else it must be written) */
  localIsDefault: boolean;
  kongHasRedis: boolean;
}
const REDIS_CAPABLE: Readonly<Record<string, RedisCapable>> = {
  "rate-limiting": {
    field: "policy",
    local: "local",
    redis: "redis",
    localIsDefault: true,
    kongHasRedis: true,
  },
  "response-ratelimiting": {
    field: "policy",
    local: "local",
    redis: "redis",
    localIsDefault: true,
    kongHasRedis: true,
  },
  // Kong OSS's proxy-cache has only `memory` (the redis strategy is gatestack's own)
  "proxy-cache": {
    field: "strategy",
    local: "memory",
    redis: "redis",
    localIsDefault: false,
    kongHasRedis: false,
  },
};

const RATE_LIMIT_PERIODS = ["second", "minute", "hour", "day", "month", "year"] as const;

/** Whether gateway state is shared between several gateway processes. */
function replicated(stack: StackConfig): boolean {
  return stack.gateway.replicas > 1;
}

/** Whether this engine offers the plugin's redis choice. */
function engineHasRedis(stack: StackConfig, plugin: string): boolean {
  return stack.gateway.engine !== "kong" || REDIS_CAPABLE[plugin]?.kongHasRedis === true;
}

/** The store the plugin's config chooses once stack defaults apply ("local"/"memory" or "redis"). */
function chosenStore(stack: StackConfig, plugin: PluginSpec): string | undefined {
  const capable = REDIS_CAPABLE[plugin.name];
  if (capable === undefined) return undefined;
  const asked = plugin.config[capable.field];
  if (typeof asked === "string") return asked;
  return replicated(stack) && engineHasRedis(stack, plugin.name) ? capable.redis : capable.local;
}

function namesARedisHost(config: Record<string, unknown>): boolean {
  const redis = config.redis;
  const nested = typeof redis === "object" && redis !== null && (redis as { host?: unknown }).host;
  return Boolean(nested) || Boolean(config.redis_host);
}

/** Does the plugin count (or cache) in the stack's own Redis? */
function usesStackRedis(stack: StackConfig, plugin: PluginSpec): boolean {
  const capable = REDIS_CAPABLE[plugin.name];
  return (
    capable !== undefined && chosenStore(stack, plugin) === capable.redis && !namesARedisHost(plugin.config)
  );
}

/** Whether the stack runs a Redis: several gateway replicas, or a plugin asking for the stack's Redis. */
export function stackHasRedis(stack: StackConfig): boolean {
  return (
    replicated(stack) ||
    pluginScopesOf(stack).some(({ plugins }) => plugins.some((p) => usesStackRedis(stack, p)))
  );
}

/** The plugin's config as gateway.yaml carries it: the store chosen, and the stack's Redis filled in. */
export function effectivePluginConfig(stack: StackConfig, plugin: PluginSpec): Record<string, unknown> {
  const capable = REDIS_CAPABLE[plugin.name];
  if (capable === undefined) return plugin.config;
  const chosen = chosenStore(stack, plugin);
  if (chosen === capable.local && capable.localIsDefault) return plugin.config;
  const config: Record<string, unknown> = { ...plugin.config, [capable.field]: chosen };
  if (usesStackRedis(stack, plugin)) {
    const own =
      typeof plugin.config.redis === "object" && plugin.config.redis !== null ? plugin.config.redis : {};
    config.redis = { host: REDIS_SERVICE, port: REDIS_PORT, password: envVaultRef(REDIS_PASSWORD), ...own };
  }
  return config;
}

/**
 * Warnings (and one error) about state kept per replica: an explicit local policy or memory
 * cache with several replicas (naming the effective limit: limit × replicas), the memory
 * cache Kong is left with, and proxy-cache's redis strategy asked of Kong.
 */
export function sharedStateChecks(stack: StackConfig): IssueDraft[] {
  const replicas = stack.gateway.replicas;
  const out: IssueDraft[] = [];
  for (const { path, plugins } of pluginScopesOf(stack)) {
    plugins.forEach((plugin, i) => {
      const capable = REDIS_CAPABLE[plugin.name];
      if (capable === undefined) return;
      const at = [...path, i, "config", capable.field];
      const asked = plugin.config[capable.field];
      if (asked === capable.redis && !engineHasRedis(stack, plugin.name)) {
        out.push({
          path: at,
          message: `${capable.field} ${capable.redis} is a gatestack extension: Kong (gateway.engine kong) has only ${capable.local}`,
        });
        return;
      }
      if (replicas < 2 || chosenStore(stack, plugin) !== capable.local) return;
      const where = asked === undefined ? [...path, i, "name"] : at;
      if (plugin.name === "rate-limiting") {
        out.push({
          path: where,
          severity: "warning",
          message: `policy local with ${replicas} gateway replicas: each replica counts on its own, so up to ${effectiveLimits(plugin, replicas)} get through; leave policy out (or set redis) to count in the stack's Redis`,
        });
      } else if (plugin.name === "response-ratelimiting") {
        out.push({
          path: where,
          severity: "warning",
          message: `policy local with ${replicas} gateway replicas: each replica counts on its own, so up to ${replicas} × each limit gets used; leave policy out (or set redis) to count in the stack's Redis`,
        });
      } else {
        const why =
          asked === undefined
            ? `Kong (gateway.engine kong) has no redis strategy, so each of the ${replicas} gateway replicas caches on its own`
            : `strategy memory with ${replicas} gateway replicas: each replica caches on its own`;
        out.push({
          path: where,
          severity: "warning",
          message: `${why} (a response cached by one is a miss on the others, an Admin API purge reaches one replica)${asked === undefined ? "" : "; leave strategy out (or set redis) to share the stack's Redis"}`,
        });
      }
    });
  }
  return out;
}

/** "120 requests per minute (60 × 2 replicas), 2000 per hour (1000 × 2 replicas)". */
function effectiveLimits(plugin: PluginSpec, replicas: number): string {
  const parts = RATE_LIMIT_PERIODS.flatMap((period) => {
    const limit = plugin.config[period];
    return typeof limit === "number" ? [{ period, limit }] : [];
  });
  if (parts.length === 0) return `${replicas} × the limit`;
  return parts
    .map(
      ({ period, limit }, k) =>
        `${limit * replicas} ${k === 0 ? "requests " : ""}per ${period} (${limit} × ${replicas} replicas)`,
    )
    .join(", ");
}

/**
 * `policy: redis` — response-ratelimiting's counters in Redis, shared by every replica, windows
 * cut by the Redis server's clock (as rate-limiting's redis policy): the usage script reads
 * TIME and the counters of the current windows in one round trip; the increment script counts
 * into the windows of that same moment (Kong's current_timestamp of the access phase), setting
 * a new key's expiry. Keys follow Kong's layout:
 * `response-ratelimit:<route>:<service>:<identifier>:<window start ms>:<name>:<period>`.
 * The keys derive from the clock inside the scripts: a single Redis, not Redis Cluster.
 */
import type { LimitScope } from "../_shared/limit-identity.js";
import { PERIOD_SECONDS, type Period } from "../_shared/periods.js";
import { type RedisLease, RedisScript } from "../_shared/redis.js";
import { WINDOW_START_LUA } from "../_shared/redis-windows.js";
import type { NamedCounterStore, Usage, UsageQuery } from "./policy.js";

/** ARGV: the key prefix, then (name, period) per query. Reply: { now ms, used_1, used_2, … }. */
const USAGE = new RedisScript(`${WINDOW_START_LUA}
local time = redis.call('TIME')
local s = tonumber(time[1])
local result = { s * 1000 + floor(tonumber(time[2]) / 1000) }
local prefix = ARGV[1]
for i = 2, #ARGV, 2 do
  local period = ARGV[i + 1]
  local key = prefix .. string.format('%d', window_start(period, s)) .. ':' .. ARGV[i] .. ':' .. period
  result[#result + 1] = tonumber(redis.call('GET', key)) or 0
end
return result
`);

/** ARGV: the key prefix, the name, the moment (ms), the value, then (period, expiry) pairs. */
const INCREMENT = new RedisScript(`${WINDOW_START_LUA}
local prefix = ARGV[1]
local name = ARGV[2]
local s = floor(tonumber(ARGV[3]) / 1000)
local value = tonumber(ARGV[4])
for i = 5, #ARGV, 2 do
  local period = ARGV[i]
  local key = prefix .. string.format('%d', window_start(period, s)) .. ':' .. name .. ':' .. period
  local fresh = redis.call('EXISTS', key) == 0
  redis.call('INCRBY', key, value)
  if fresh then redis.call('EXPIRE', key, ARGV[i + 1]) end
end
return 1
`);

/** Kong's key layout up to the window: `response-ratelimit:<route>:<service>:<identifier>:` */
function prefix(scope: LimitScope, identifier: string): string {
  return `response-ratelimit:${scope.route}:${scope.service}:${identifier}:`;
}

export class RedisNamedCounters implements NamedCounterStore {
  constructor(private readonly lease: RedisLease) {}

  get optionsKey(): string {
    return this.lease.connection.optionsKey;
  }

  async usage(scope: LimitScope, identifier: string, queries: readonly UsageQuery[]): Promise<Usage> {
    const args: Array<string | number> = [prefix(scope, identifier)];
    for (const q of queries) args.push(q.name, q.period);
    const reply = await this.lease.connection.run(USAGE, [], args);
    if (!Array.isArray(reply) || reply.length !== 1 + queries.length) {
      throw new Error("unexpected reply from Redis script");
    }
    const nums = reply.map((v) => Number(v));
    return { now: nums[0]!, used: nums.slice(1) };
  }

  async increment(
    scope: LimitScope,
    identifier: string,
    name: string,
    periods: readonly Period[],
    value: number,
    at: number,
  ): Promise<void> {
    const args: Array<string | number> = [prefix(scope, identifier), name, at, value];
    for (const p of periods) args.push(p, PERIOD_SECONDS[p]);
    await this.lease.connection.run(INCREMENT, [], args);
  }

  close(): Promise<void> {
    return this.lease.release();
  }
}

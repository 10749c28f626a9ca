/**
 * `policy: redis` — counters in Redis, shared by every gateway replica, and windows cut by
 * ONE clock: the Redis server's. One script runs the whole decision inside Redis in one
 * round trip: read the server time (TIME), compute each period's current window from it,
 * read every window's counter, refuse if one is full, otherwise INCR + EXPIRE all of them.
 * So replicas sharing a Redis never admit more than the limit together, even when their own
 * clocks disagree (Kong reads and increments separately, on each node's clock, and
 * overshoots under bursts). Keys follow Kong's layout:
 * `ratelimit:<route>:<service>:<identifier>:<window start ms>:<period>`.
 *
 * The keys are derived inside the script from the server time, so they cannot be declared
 * up front: the script needs a single Redis (not Redis Cluster), as Kong's redis policy does.
 */
import type { LimitScope } from "../_shared/limit-identity.js";
import { PERIOD_SECONDS } from "../_shared/periods.js";
import { type RedisLease, RedisScript } from "../_shared/redis.js";
import { WINDOW_START_LUA } from "../_shared/redis-windows.js";
import type { Consumption, CounterLimit, CounterPolicy } from "./policy.js";

/**
 * ARGV: the key prefix, then (period, limit, expiry seconds) per limit.
 * Reply: { stop (1-based, 0 = admitted), now ms, start_1, used_1, start_2, used_2, … }.
 */
const CHECK_AND_INCREMENT = new RedisScript(`${WINDOW_START_LUA}
local time = redis.call('TIME')
local s = tonumber(time[1])
local now = s * 1000 + floor(tonumber(time[2]) / 1000)
local prefix = ARGV[1]
local n = (#ARGV - 1) / 3
local result = { 0, now }
local keys = {}
for i = 1, n do
  local period = ARGV[3 * i - 1]
  local start = window_start(period, s)
  keys[i] = prefix .. string.format('%d', start) .. ':' .. period
  local used = tonumber(redis.call('GET', keys[i])) or 0
  result[1 + 2 * i] = start
  result[2 + 2 * i] = used
  if result[1] == 0 and used >= tonumber(ARGV[3 * i]) then result[1] = i end
end
if result[1] == 0 then
  for i = 1, n do
    redis.call('INCR', keys[i])
    redis.call('EXPIRE', keys[i], ARGV[3 * i + 1])
  end
end
return result
`);

export class RedisCounters implements CounterPolicy {
  constructor(private readonly lease: RedisLease) {}

  get optionsKey(): string {
    return this.lease.connection.optionsKey;
  }

  async consume(
    scope: LimitScope,
    identifier: string,
    limits: readonly CounterLimit[],
  ): Promise<Consumption> {
    const n = limits.length;
    const args = new Array<string | number>(1 + 3 * n);
    args[0] = `ratelimit:${scope.route}:${scope.service}:${identifier}:`;
    for (let i = 0; i < n; i++) {
      const { period, limit } = limits[i]!;
      args[1 + 3 * i] = period;
      args[2 + 3 * i] = limit;
      args[3 + 3 * i] = PERIOD_SECONDS[period];
    }
    const reply = await this.lease.connection.run(CHECK_AND_INCREMENT, [], args);
    if (!Array.isArray(reply) || reply.length !== 2 + 2 * n) {
      throw new Error("unexpected reply from Redis script");
    }
    const nums = reply.map((v) => Number(v));
    const usage = new Array<number>(n);
    const starts = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      starts[i] = nums[2 + 2 * i]!;
      usage[i] = nums[3 + 2 * i]!;
    }
    return { stop: nums[0]! - 1, now: nums[1]!, usage, starts };
  }

  close(): Promise<void> {
    return this.lease.release();
  }
}

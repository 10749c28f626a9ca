/**
 * Rate-limiting windows as Kong counts them (rate-limiting and response-ratelimiting): fixed UTC calendar windows (the current
 * second, minute, hour, day, month, year), each with Kong's nominal length in seconds
 * (a "month" is 30 days for expiry and RateLimit-Reset, as in Kong).
 */

export const PERIODS = ["second", "minute", "hour", "day", "month", "year"] as const;
export type Period = (typeof PERIODS)[number];

/** Kong's EXPIRATION table (seconds). */
export const PERIOD_SECONDS: Readonly<Record<Period, number>> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  month: 2592000,
  year: 31536000,
};

const CAPITALISED: Readonly<Record<Period, string>> = {
  second: "Second",
  minute: "Minute",
  hour: "Hour",
  day: "Day",
  month: "Month",
  year: "Year",
};

/** `X-RateLimit-Limit-Minute` etc. (lowercased, as every header name in the plugin contract) */
export const LIMIT_HEADER: Readonly<Record<Period, string>> = Object.fromEntries(
  PERIODS.map((p) => [p, `X-RateLimit-Limit-${CAPITALISED[p]}`.toLowerCase()]),
) as Record<Period, string>;
export const REMAINING_HEADER: Readonly<Record<Period, string>> = Object.fromEntries(
  PERIODS.map((p) => [p, `X-RateLimit-Remaining-${CAPITALISED[p]}`.toLowerCase()]),
) as Record<Period, string>;

/** Start (UTC, ms) of the window of `period` that contains `nowMs` (Kong's timestamp.get_timestamps). */
export function periodStart(period: Period, nowMs: number): number {
  switch (period) {
    case "second":
      return nowMs - (nowMs % 1000);
    case "minute":
      return nowMs - (nowMs % 60_000);
    case "hour":
      return nowMs - (nowMs % 3_600_000);
    case "day":
      return nowMs - (nowMs % 86_400_000);
    case "month": {
      const d = new Date(nowMs);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    case "year":
      return Date.UTC(new Date(nowMs).getUTCFullYear(), 0, 1);
  }
}

/** Seconds until the limit resets, as Kong reports it: window − elapsed, at least 1. */
export function resetSeconds(period: Period, nowMs: number, start: number): number {
  return Math.max(1, PERIOD_SECONDS[period] - Math.floor((nowMs - start) / 1000));
}

import type { Period } from "./periods.js";

/** One configured limit in the window that is current for the request. */
export interface CounterWindow {
  period: Period;
  limit: number;
  /** UTC ms at which the window started */
  start: number;
}

/**
 * The result of one atomic check-and-increment: the usage of each window BEFORE this
 * request, and the index of a window whose limit is already reached (-1 when the
 * request is admitted — and then every window was incremented by one).
 */
export interface Consumption {
  usage: number[];
  stop: number;
}

/** Where counters live. `consume` must never admit more than `limit` requests per window. */
export interface CounterPolicy {
  /** `scope` separates plugin instances (Kong: route id + service id of the plugin). */
  consume(
    scope: string,
    identifier: string,
    windows: readonly CounterWindow[],
  ): Consumption | Promise<Consumption>;
  close(): void | Promise<void>;
}

import type { LimitScope } from "../_shared/limit-identity.js";
import type { Period } from "../_shared/periods.js";

/** One configured limit. */
export interface CounterLimit {
  period: Period;
  limit: number;
}

/**
 * The result of one atomic check-and-increment: the usage of each limit's current window
 * BEFORE this request, and the index of a limit already reached (-1 when the request is
 * admitted — and then every window was incremented by one). The windows are those of the
 * policy's own clock at the moment it decided.
 */
export interface Consumption {
  usage: number[];
  stop: number;
  /** The counting clock at the decision, UTC ms (this process's for `local`, the store server's otherwise). */
  now: number;
  /** Start (UTC ms, on that clock) of each limit's current window. */
  starts: readonly number[];
}

/** Where counters live, and whose clock cuts the windows. `consume` never admits more than `limit` per window. */
export interface CounterPolicy {
  /** `scope` separates plugin entries in a shared store (a local store belongs to one entry). */
  consume(
    scope: LimitScope,
    identifier: string,
    limits: readonly CounterLimit[],
  ): Consumption | Promise<Consumption>;
  close(): void | Promise<void>;
}

import type { RequestContext } from "../types.js";

/** What a rate limit counts by (Kong's `limit_by`), and the header / path it names. */
export interface LimitBy {
  limitBy: string;
  /** lower-cased header name (`limit_by: header`) */
  headerName?: string | null;
  /** the path counted (`limit_by: path`) */
  path?: string | null;
}

/**
 * The identifier a request is counted under, as Kong's rate-limiting `get_identifier`: the consumer,
 * credential, service, header value or path — each falling back to the client address when absent.
 */
export function limitIdentity(ctx: RequestContext, by: LimitBy): string {
  switch (by.limitBy) {
    case "consumer":
      return ctx.consumer?.id ?? ctx.credential?.id ?? ctx.clientIp;
    case "credential":
      return ctx.credential?.id ?? ctx.clientIp;
    case "service":
      return ctx.service?.id ?? ctx.clientIp;
    case "header": {
      const v = ctx.request.headers[by.headerName ?? ""];
      return (Array.isArray(v) ? v[0] : v) ?? ctx.clientIp;
    }
    case "path": {
      const raw = ctx.request.path;
      const q = raw.indexOf("?");
      const path = q < 0 ? raw : raw.slice(0, q);
      return path === by.path ? path : ctx.clientIp;
    }
    default:
      return ctx.clientIp;
  }
}

/** Kong's stand-in id for a plugin entry without a route or service. */
export const EMPTY_UUID = "00000000-0000-0000-0000-000000000000";

/**
 * What separates the counters of one plugin entry from another's in a shared store (Redis, the
 * database): Kong's route id and service id of the entry, the empty UUID when unset.
 */
export interface LimitScope {
  route: string;
  service: string;
}

export function limitScope(entry: { route: string | null; service: string | null }): LimitScope {
  return { route: entry.route ?? EMPTY_UUID, service: entry.service ?? EMPTY_UUID };
}

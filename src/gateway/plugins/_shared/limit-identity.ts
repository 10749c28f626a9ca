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

/**
 * Kong's request-size-limiting: refuse bodies larger than the allowed size with 413
 * (417 when the client asked `Expect: 100-continue`), judged from Content-Length when
 * present; a body without one (chunked) is counted as it is read and refused as soon as
 * it passes the limit, so at most limit + 1 bytes are ever held.
 */
import { isGatewayError } from "../../errors.js";
import type { PluginEntry, PluginHandler, RequestContext } from "../types.js";
import { type RequestSizeLimitingConfig, UNIT_BYTES } from "./schema.js";

const TOO_LARGE = "Request size limit exceeded";

export class RequestSizeLimitingHandler implements PluginHandler {
  private readonly allowedBytes: number;

  constructor(private readonly conf: RequestSizeLimitingConfig) {
    this.allowedBytes = conf.allowed_payload_size * UNIT_BYTES[conf.size_unit];
  }

  access(ctx: RequestContext): void | Promise<void> {
    const headers = ctx.request.headers;
    // The expectation is settled here (the client got its 100 Continue from the gateway);
    // it is not forwarded, as nginx does not forward it either.
    delete ctx.upstream.headers.expect;
    if (this.conf.require_content_length && headers["content-length"] === undefined) {
      ctx.exitMessage(411, "A valid Content-Length header is required");
      return;
    }
    const length = ctx.request.contentLength;
    if (length !== null) {
      this.check(ctx, length);
      return;
    }
    if (headers["transfer-encoding"] === undefined) return; // no body at all
    return ctx.request.readBody(this.allowedBytes + 1).then(
      (body) => this.check(ctx, body.length),
      (err: unknown) => {
        if (isBodyTooLarge(err)) this.check(ctx, this.allowedBytes + 1);
        else throw err;
      },
    );
  }

  private check(ctx: RequestContext, length: number): void {
    if (length <= this.allowedBytes) return;
    const expect = ctx.request.headers.expect;
    const continueExpected = typeof expect === "string" && expect.trim().toLowerCase() === "100-continue";
    ctx.exitMessage(continueExpected ? 417 : 413, TOO_LARGE);
  }
}

/** readBody(limit) reports a body over its limit with the gateway's GW_BODY_TOO_LARGE. */
function isBodyTooLarge(err: unknown): boolean {
  return isGatewayError(err) && err.code === "GW_BODY_TOO_LARGE";
}

export function createRequestSizeLimitingHandler(
  entry: PluginEntry<RequestSizeLimitingConfig>,
): PluginHandler {
  return new RequestSizeLimitingHandler(entry.config);
}

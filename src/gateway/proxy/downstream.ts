import type { ServerResponse } from "node:http";
import type { RequestContext, ResponseHead } from "../plugins/types.js";
import { type PluginInstance, runResponseBody } from "./pipeline.js";

/**
 * The client side of an exchange: writes the response head, streams the upstream body with
 * backpressure or collects it for the plugins' body phase, writes the gateway's own answers,
 * and remembers what went out (status and fields for the log phase, body bytes).
 */
export class Downstream {
  /** the client went away before the response finished: nothing more is written */
  gone = false;
  bytes = 0;
  /** the response header fields as handed to writeHead (a flat list or a record), for the log phase */
  sent: Record<string, string | string[]> | string[] | null = null;
  /** a response whose body the plugins get whole: its head, those plugins, the chunks so far */
  private buffering: { head: ResponseHead; plugins: PluginInstance[]; chunks: Buffer[] } | null = null;
  private pausedForDrain = false;

  constructor(
    private readonly res: ServerResponse,
    /** a HEAD request: heads only */
    private readonly headOnly: boolean,
  ) {}

  /** An upstream head no plugin looks at: the flat field list goes out as it is. */
  sendFields(status: number, fields: string[]): void {
    if (!this.gone) this.res.writeHead(status, fields);
    this.sent = fields;
  }

  writeHead(head: ResponseHead): void {
    if (this.gone || this.res.headersSent) return;
    this.res.writeHead(head.status, head.headers);
    this.sent = head.headers;
  }

  /** The head is final and `plugins` want the whole body: collect it, the head waits for them. */
  collectFor(head: ResponseHead, plugins: PluginInstance[]): void {
    this.buffering = { head, plugins, chunks: [] };
  }

  /** A chunk of the upstream body; false: paused until the client drains, then `resume`. */
  chunk(chunk: Buffer, resume: () => void): boolean {
    this.bytes += chunk.length;
    if (this.buffering !== null) {
      this.buffering.chunks.push(chunk);
      return true;
    }
    if (this.gone) return true;
    if (this.res.write(chunk)) return true;
    if (!this.pausedForDrain) {
      this.pausedForDrain = true;
      this.res.once("drain", () => {
        this.pausedForDrain = false;
        resume();
      });
    }
    return false;
  }

  /** The upstream body is complete: end the response, or run the body phase on what was collected first. */
  complete(ctx: RequestContext | null, failed: (err: unknown) => void): void {
    const buffering = this.buffering;
    if (buffering === null || ctx === null) {
      this.res.end();
      return;
    }
    this.buffering = null;
    const head = buffering.head;
    runResponseBody(ctx, buffering.plugins, head, Buffer.concat(buffering.chunks)).then((body) => {
      if (this.gone) return;
      setContentLength(head, body.length);
      this.writeHead(head);
      this.res.end(this.headOnly ? undefined : body);
    }, failed);
  }

  /** A whole answer of the gateway's own (unless the client is gone or a head already went out). */
  answer(head: ResponseHead, body: Buffer | null): void {
    if (this.gone || this.res.headersSent) return;
    const size = body?.length ?? 0;
    setContentLength(head, size);
    this.bytes = size;
    this.res.writeHead(head.status, head.headers);
    this.sent = head.headers;
    this.res.end(this.headOnly ? undefined : (body ?? undefined));
  }
}

/** The Content-Length of a whole body; a 204 (or 1xx) carries none (RFC 9110 §8.6, as nginx answers). */
function setContentLength(head: ResponseHead, size: number): void {
  if (head.status === 204 || head.status < 200) {
    if (head.headers["content-length"] !== undefined) delete head.headers["content-length"];
  } else head.headers["content-length"] = String(size);
}

/**
 * Kong's http-log: the log phase serializes the request (Kong's log payload) and queues
 * it; the queue sends batches to `http_endpoint` (one JSON object per request when
 * `queue.max_batch_size` is 1, else a JSON array), retrying failures with backoff. Any
 * status below 300 is success. Nothing here ever delays a proxied response.
 */
import { Pool } from "undici";
import { BatchQueue } from "../_shared/batch-queue.js";
import { kongLogPayload } from "../_shared/log-payload.js";
import { warnIgnoredLua } from "../_shared/log-schema.js";
import type { QueueConfig } from "../_shared/queue-schema.js";
import type {
  AccessLogEntry,
  GatewayLogger,
  PluginEntry,
  PluginEnvironment,
  PluginHandler,
  RequestContext,
} from "../types.js";
import type { HttpLogConfig } from "./schema.js";

/** How long closing a handler (config swap, shutdown) may spend delivering what is queued. */
export const CLOSE_FLUSH_MS = 3000;

/** Queue parameters with Kong's deprecated shorthands applied (queue_size, flush_timeout). */
export function queueParams(conf: HttpLogConfig, logger: GatewayLogger): QueueConfig {
  const params = { ...conf.queue };
  if (conf.queue_size != null) {
    logger.warn(
      "http-log: the queue_size parameter is deprecated, please update your configuration to use queue.max_batch_size instead",
    );
    params.max_batch_size = conf.queue_size;
  }
  if (conf.flush_timeout != null) {
    logger.warn(
      "http-log: the flush_timeout parameter is deprecated, please update your configuration to use queue.max_coalescing_delay instead",
    );
    params.max_coalescing_delay = conf.flush_timeout;
  }
  if (conf.retry_count != null) {
    logger.warn(
      "http-log: the retry_count parameter no longer works, please update your configuration to use queue.max_retry_time instead",
    );
  }
  return params;
}

export class HttpLogHandler implements PluginHandler {
  readonly queue: BatchQueue;
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly hostPort: string;
  private readonly singleEntries: boolean;

  constructor(
    private readonly conf: HttpLogConfig,
    entry: PluginEntry<HttpLogConfig>,
    env: PluginEnvironment,
  ) {
    const url = new URL(conf.http_endpoint);
    const https = url.protocol === "https:";
    const port = url.port === "" ? (https ? 443 : 80) : Number(url.port);
    this.hostPort = `${url.hostname}:${port}`;
    this.path = `${url.pathname}${url.search}`;
    this.headers = { host: url.host, "content-type": conf.content_type };
    if (url.username !== "" || url.password !== "") {
      const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      this.headers.authorization = `Basic ${Buffer.from(userinfo).toString("base64")}`;
    }
    for (const [name, value] of Object.entries(conf.headers ?? {})) this.headers[name.toLowerCase()] = value;
    this.pool = new Pool(url.origin, {
      connections: 4,
      keepAliveTimeout: Math.max(1, conf.keepalive),
      connect: { timeout: conf.timeout, rejectUnauthorized: conf.ssl_verify },
    });
    const params = queueParams(conf, env.logger);
    this.singleEntries = params.max_batch_size === 1;
    warnIgnoredLua("http-log", conf.custom_fields_by_lua, env.logger);
    this.queue = new BatchQueue(`http-log (${entry.id})`, params, (batch) => this.send(batch), env.logger);
  }

  log(ctx: RequestContext, entry: AccessLogEntry): void {
    this.queue.enqueue(JSON.stringify(kongLogPayload(ctx, entry)));
  }

  async close(): Promise<void> {
    await this.queue.close(CLOSE_FLUSH_MS);
    await this.pool.close().catch(() => this.pool.destroy());
  }

  private async send(batch: string[]): Promise<void> {
    const body = this.singleEntries && batch.length === 1 ? batch[0]! : `[${batch.join(",")}]`;
    let res: Awaited<ReturnType<Pool["request"]>>;
    try {
      res = await this.pool.request({
        method: this.conf.method,
        path: this.path,
        headers: { ...this.headers, "content-length": String(Buffer.byteLength(body)) },
        body,
        headersTimeout: this.conf.timeout,
        bodyTimeout: this.conf.timeout,
      });
    } catch (err) {
      throw new Error(`failed request to ${this.hostPort}: ${(err as Error).message}`);
    }
    const text = await res.body.text().catch(() => "");
    if (res.statusCode >= 300) {
      throw new Error(`request to ${this.hostPort} returned status code ${res.statusCode} and body ${text}`);
    }
  }
}

export function createHttpLogHandler(
  entry: PluginEntry<HttpLogConfig>,
  env: PluginEnvironment,
): PluginHandler {
  return new HttpLogHandler(entry.config, entry, env);
}

/**
 * Kong's http-log: the log phase serializes the request (Kong's log payload) and queues
 * it; the queue sends batches to `http_endpoint` (one JSON object per request when
 * `queue.max_batch_size` is 1, else a JSON array), retrying failures with backoff. Any
 * status below 300 is success. Nothing here ever delays a proxied response.
 */
import type { Dispatcher } from "undici";
import { requestOn, type SimpleResponse } from "../../transport/dispatch.js";
import { Pool } from "../../transport/undici-pool.js";
import { BatchQueue } from "../_shared/batch-queue.js";
import { Retirement } from "../_shared/handover.js";
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

/** Everything that decides where and how entries are delivered. */
interface Delivery {
  readonly key: string;
  readonly queue: BatchQueue;
  readonly pool: Pool;
}

export class HttpLogHandler implements PluginHandler {
  readonly delivery: Delivery;
  private readonly retired: Retirement | null = null;

  constructor(conf: HttpLogConfig, entry: PluginEntry<HttpLogConfig>, env: PluginEnvironment) {
    const params = queueParams(conf, env.logger);
    warnIgnoredLua("http-log", conf.custom_fields_by_lua, env.logger);
    const key = JSON.stringify([
      conf.http_endpoint,
      conf.method,
      conf.content_type,
      conf.timeout,
      conf.keepalive,
      conf.ssl_verify,
      conf.headers ?? null,
      params,
    ]);
    const prev = env.previous;
    if (prev instanceof HttpLogHandler && prev.delivery.key === key) {
      // same delivery: keep the queue (nothing queued is lost, order is kept) and connections
      this.delivery = prev.delivery;
    } else {
      this.delivery = openDelivery(key, conf, params, `http-log (${entry.id})`, env.logger);
      if (prev instanceof HttpLogHandler) this.retired = new Retirement(() => prev.close());
    }
  }

  log(ctx: RequestContext, entry: AccessLogEntry): void {
    this.delivery.queue.enqueue(JSON.stringify(kongLogPayload(ctx, entry)));
  }

  async close(): Promise<void> {
    await this.retired?.now();
    await this.delivery.queue.close(CLOSE_FLUSH_MS);
    await this.delivery.pool.close().catch(() => this.delivery.pool.destroy());
  }
}

/** The queue and connection pool that deliver entries to `http_endpoint`. */
function openDelivery(
  key: string,
  conf: HttpLogConfig,
  params: QueueConfig,
  name: string,
  logger: GatewayLogger,
): Delivery {
  const url = new URL(conf.http_endpoint);
  const https = url.protocol === "https:";
  const port = url.port === "" ? (https ? 443 : 80) : Number(url.port);
  const hostPort = `${url.hostname}:${port}`;
  const path = `${url.pathname}${url.search}`;
  const headers: Record<string, string> = { host: url.host, "content-type": conf.content_type };
  if (url.username !== "" || url.password !== "") {
    const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(userinfo).toString("base64")}`;
  }
  for (const [name, value] of Object.entries(conf.headers ?? {})) headers[name.toLowerCase()] = value;
  const pool = new Pool(url.origin, {
    connections: 4,
    keepAliveTimeout: Math.max(1, conf.keepalive),
    connect: { timeout: conf.timeout, rejectUnauthorized: conf.ssl_verify },
  });
  const singleEntries = params.max_batch_size === 1;

  const send = async (batch: string[]): Promise<void> => {
    const body = singleEntries && batch.length === 1 ? batch[0]! : `[${batch.join(",")}]`;
    let res: SimpleResponse;
    try {
      res = await requestOn(pool, {
        method: conf.method as Dispatcher.HttpMethod,
        path,
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        body,
        headersTimeout: conf.timeout,
        bodyTimeout: conf.timeout,
      });
    } catch (err) {
      throw new Error(`failed request to ${hostPort}: ${(err as Error).message}`);
    }
    if (res.status >= 300) {
      throw new Error(
        `request to ${hostPort} returned status code ${res.status} and body ${res.body.toString("utf8")}`,
      );
    }
  };
  return { key, queue: new BatchQueue(name, params, send, logger), pool };
}

export function createHttpLogHandler(
  entry: PluginEntry<HttpLogConfig>,
  env: PluginEnvironment,
): PluginHandler {
  return new HttpLogHandler(entry.config, entry, env);
}

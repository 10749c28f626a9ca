/**
 * Kong's statsd: the log phase checks `allow_status_codes`, builds the request's metric lines
 * (metrics.ts) and queues them (Kong's plugin queue, shared with http-log); batches go out
 * over UDP — one datagram per metric, or packed up to `udp_packet_size` bytes, separated by
 * newlines — or, with `use_tcp`, as lines on a kept-alive TCP connection. Nothing here
 * delays a response.
 */
import { hostname } from "node:os";
import { BatchQueue } from "../_shared/batch-queue.js";
import { Retirement } from "../_shared/handover.js";
import type { QueueConfig } from "../_shared/queue-schema.js";
import { TcpLines } from "../_shared/tcp-lines.js";
import { UdpDatagrams } from "../_shared/udp-datagrams.js";
import type {
  AccessLogEntry,
  GatewayLogger,
  PluginEntry,
  PluginEnvironment,
  PluginHandler,
  RequestContext,
} from "../types.js";
import { StatsdMetrics } from "./metrics.js";
import type { StatsdConfig } from "./schema.js";

const CLOSE_FLUSH_MS = 3000;
/** Kong's statsd logger: 1 s socket timeout over TCP. */
const TCP_TIMEOUT_MS = 1000;

/** Queue parameters with Kong's deprecated shorthands applied (queue_size, flush_timeout). */
export function statsdQueueParams(conf: StatsdConfig, logger: GatewayLogger): QueueConfig {
  const params = { ...conf.queue };
  if (conf.queue_size != null) {
    logger.warn("statsd: config.queue_size is deprecated, please use config.queue.max_batch_size instead");
    params.max_batch_size = conf.queue_size;
  }
  if (conf.flush_timeout != null) {
    logger.warn(
      "statsd: config.flush_timeout is deprecated, please use config.queue.max_coalescing_delay instead",
    );
    params.max_coalescing_delay = conf.flush_timeout;
  }
  if (conf.retry_count != null) {
    logger.warn("statsd: config.retry_count no longer works, please use config.queue.max_retry_time instead");
  }
  return params;
}

/** Kong's allow_status_codes: `NNN-NNN` ranges; null lets every status through. */
export function statusFilter(
  ranges: readonly string[] | null | undefined,
): ((status: number) => boolean) | null {
  if (ranges == null) return null;
  const parsed: Array<[number, number]> = [];
  for (const r of ranges) {
    const m = /(\d\d\d)-(\d\d\d)/.exec(r);
    if (m !== null) parsed.push([Number(m[1]), Number(m[2])]);
  }
  return (status) => parsed.some(([lo, hi]) => status >= lo && status <= hi);
}

/** Sends metric lines to the StatsD server. */
export interface MetricSink {
  send(lines: string[]): void;
  close(): Promise<void>;
}

/** UDP: one datagram per line, or lines packed into datagrams of at most `packetSize` bytes. */
export function udpSink(datagrams: UdpDatagrams, packetSize: number, logger: GatewayLogger): MetricSink {
  let warned = false;
  return {
    send(lines) {
      if (packetSize <= 0) {
        for (const line of lines) datagrams.send(line);
        return;
      }
      let packet = "";
      for (const line of lines) {
        if (line.length > packetSize && !warned) {
          warned = true;
          logger.warn(
            `statsd: configured udp_packet_size is smaller than single message of length ${line.length}, UDP packet may be truncated`,
          );
        }
        if (packet !== "" && packet.length + 1 + line.length > packetSize) {
          datagrams.send(packet);
          packet = line;
        } else packet = packet === "" ? line : `${packet}\n${line}`;
      }
      if (packet !== "") datagrams.send(packet);
    },
    close: () => datagrams.close(),
  };
}

export class StatsdHandler implements PluginHandler {
  readonly key: string;
  readonly queue: BatchQueue;
  readonly sink: MetricSink;
  private readonly metrics: StatsdMetrics;
  private readonly allowed: ((status: number) => boolean) | null;
  private readonly retired: Retirement | null = null;

  constructor(conf: StatsdConfig, entry: PluginEntry<StatsdConfig>, env: PluginEnvironment) {
    const params = statsdQueueParams(conf, env.logger);
    this.metrics = new StatsdMetrics(conf, hostname());
    this.allowed = statusFilter(conf.allow_status_codes);
    this.key = JSON.stringify([conf.host, conf.port, conf.use_tcp, conf.udp_packet_size, params]);
    const prev = env.previous;
    if (prev instanceof StatsdHandler && prev.key === this.key) {
      this.queue = prev.queue;
      this.sink = prev.sink;
    } else {
      if (prev instanceof StatsdHandler) this.retired = new Retirement(() => prev.close());
      const sink = conf.use_tcp
        ? tcpSink(conf, env.logger)
        : udpSink(
            new UdpDatagrams(conf.host, conf.port, "statsd", env.logger),
            conf.udp_packet_size,
            env.logger,
          );
      this.sink = sink;
      this.queue = new BatchQueue(
        `statsd (${entry.id})`,
        params,
        async (batch) => sink.send(batch.flatMap((e) => e.split("\n"))),
        env.logger,
      );
    }
  }

  log(ctx: RequestContext, entry: AccessLogEntry): void {
    const status = entry.response.status;
    if (this.allowed !== null && !this.allowed(status)) return;
    const proxied = !ctx.exited && entry.upstream_uri !== "";
    const lines = this.metrics.lines({
      status,
      requestSize: entry.request.size,
      responseSize: entry.response.size,
      latency: entry.latencies.request,
      upstreamLatency: proxied ? entry.latencies.proxy : -1,
      kongLatency: entry.latencies.kong,
      service: ctx.service,
      route: ctx.route,
      consumer: ctx.consumer,
    });
    if (lines.length > 0) this.queue.enqueue(lines.join("\n"));
  }

  async close(): Promise<void> {
    await this.retired?.now();
    await this.queue.close(CLOSE_FLUSH_MS);
    await this.sink.close();
  }
}

function tcpSink(conf: StatsdConfig, logger: GatewayLogger): MetricSink {
  const lines = new TcpLines(
    {
      host: conf.host,
      port: conf.port,
      timeoutMs: TCP_TIMEOUT_MS,
      keepaliveMs: 60_000,
      tls: false,
      name: "statsd",
    },
    logger,
  );
  return {
    send: (metrics) => lines.send(`${metrics.join("\n")}\n`),
    close: () => lines.close(),
  };
}

export function createStatsdHandler(entry: PluginEntry<StatsdConfig>, env: PluginEnvironment): PluginHandler {
  return new StatsdHandler(entry.config, entry, env);
}
